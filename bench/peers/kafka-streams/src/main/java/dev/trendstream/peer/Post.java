package dev.trendstream.peer;

/** What the peer needs of a post: event time, author and the (already normalised) hashtags. */
public record Post(long createdAt, String authorId, String[] hashtags) {}
