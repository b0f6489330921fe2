package dev.trendstream.peer;

/** The closed count of one (hashtag, minute): `minute` is the window start in epoch ms. */
public record MinuteCount(String hashtag, long minute, long count) {
  String json() {
    return "{\"hashtag\":" + Json.str(hashtag) + ",\"minute\":" + minute + ",\"count\":" + count + "}";
  }
}
