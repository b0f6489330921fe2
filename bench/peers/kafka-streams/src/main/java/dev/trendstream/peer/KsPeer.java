package dev.trendstream.peer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.Suppressed;
import org.apache.kafka.streams.kstream.TimeWindowedKStream;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The Kafka Streams peer (bench/peers/kafka-streams/README.md). Prints one JSON progress line
 * a second on stdout and a final one on SIGTERM; everything else goes to stderr.
 */
public final class KsPeer {
  private KsPeer() {}

  static final class Options {
    String bootstrap = env("KS_BOOTSTRAP", env("KAFKA_BROKERS", "127.0.0.1:9092"));
    String prefix = env("KS_PREFIX", "");
    String appId = env("KS_APP_ID", "trendstream-ks-peer");
    String guarantee = env("KS_GUARANTEE", StreamsConfig.EXACTLY_ONCE_V2);
    long commitIntervalMs = Long.parseLong(env("KS_COMMIT_INTERVAL_MS", "100"));
    int threads = Integer.parseInt(env("KS_THREADS", "1"));
    String stateDir = env("KS_STATE_DIR", "");
    String topology = env("KS_TOPOLOGY", "partials");
    String emit = env("KS_EMIT", "suppress");
    long idleMs = Long.parseLong(env("KS_IDLE_MS", "30000"));
    boolean dedup = Boolean.parseBoolean(env("KS_DEDUP", "true"));
    String schema = env("KS_SCHEMA", "");
    int outPartitions = Integer.parseInt(env("KS_OUT_PARTITIONS", "6"));
    long waitInputMs = Long.parseLong(env("KS_WAIT_INPUT_MS", "60000"));
    long closeTimeoutMs = Long.parseLong(env("KS_CLOSE_TIMEOUT_MS", "30000"));
    long progressMs = Long.parseLong(env("KS_PROGRESS_MS", "1000"));
    /** Further Kafka Streams / client settings (`--config key=value`, repeatable), applied last. */
    final Map<String, String> extra = new java.util.LinkedHashMap<>();

    String posts() { return prefix + "posts"; }
    String counts() { return prefix + "ks-minute-counts"; }
    String trends() { return prefix + "ks-trends"; }

    static String env(String k, String d) { String v = System.getenv(k); return v == null || v.isEmpty() ? d : v; }

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        String v;
        int eq = a.indexOf('=');
        if (a.startsWith("--") && eq > 0) { v = a.substring(eq + 1); a = a.substring(0, eq); }
        else if (a.equals("--help") || a.equals("-h")) { usage(0); return o; }
        else if (i + 1 < args.length) v = args[++i];
        else { System.err.println("missing value for " + a); usage(2); return o; }
        switch (a) {
          case "--bootstrap", "--brokers" -> o.bootstrap = v;
          case "--prefix" -> o.prefix = v;
          case "--app-id" -> o.appId = v;
          case "--guarantee" -> o.guarantee = v;
          case "--commit-interval-ms" -> o.commitIntervalMs = Long.parseLong(v);
          case "--threads" -> o.threads = Integer.parseInt(v);
          case "--state-dir" -> o.stateDir = v;
          case "--topology" -> o.topology = v;
          case "--emit" -> o.emit = v;
          case "--idle-ms" -> o.idleMs = Long.parseLong(v);
          case "--dedup" -> o.dedup = Boolean.parseBoolean(v);
          case "--schema" -> o.schema = v;
          case "--out-partitions" -> o.outPartitions = Integer.parseInt(v);
          case "--wait-input-ms" -> o.waitInputMs = Long.parseLong(v);
          case "--close-timeout-ms" -> o.closeTimeoutMs = Long.parseLong(v);
          case "--progress-ms" -> o.progressMs = Long.parseLong(v);
          case "--config" -> {
            int e = v.indexOf('=');
            if (e <= 0) { System.err.println("--config needs key=value"); usage(2); }
            o.extra.put(v.substring(0, e), v.substring(e + 1));
          }
          default -> { System.err.println("unknown option " + a); usage(2); }
        }
      }
      if (!o.emit.equals("suppress") && !o.emit.equals("close")) { System.err.println("--emit must be suppress or close"); usage(2); }
      if (!o.topology.equals("partials") && !o.topology.equals("dsl")) { System.err.println("--topology must be partials or dsl"); usage(2); }
      return o;
    }

    static void usage(int code) {
      System.err.println("usage: java -jar ks-peer.jar [--bootstrap H:P] [--prefix P] [--app-id ID] [--guarantee exactly_once_v2|at_least_once]"
          + " [--commit-interval-ms 100] [--threads 1] [--state-dir DIR] [--topology partials|dsl] [--emit suppress|close] [--idle-ms 30000] [--dedup true|false] [--schema post.v1.avsc]"
          + " [--config key=value ...] [--out-partitions 6] [--wait-input-ms 60000] [--close-timeout-ms 30000] [--progress-ms 1000]"
          + " (env KS_BOOTSTRAP, KS_PREFIX, KS_APP_ID, KS_GUARANTEE, KS_COMMIT_INTERVAL_MS, KS_THREADS, KS_STATE_DIR, KS_EMIT, ...)");
      System.exit(code);
    }
  }

  /** Posts that went through the first processor (decoded, before the flatMap): processed, not necessarily committed. */
  static final LongAdder processed = new LongAdder();
  /** Posts (partials topology: tag-posts at the merge) dropped as late by our own processors. */
  static final LongAdder late = new LongAdder();
  /** Posts dropped as repeats of a (platform:id) key (partials topology with --dedup). */
  static final LongAdder duplicates = new LongAdder();
  static final long LATENESS_MS = 30_000;

  static Topology topology(Options o, PostDeserializer posts, int sources) {
    StreamsBuilder b = new StreamsBuilder();
    KStream<byte[], Post> in = b.stream(o.posts(), Consumed.with(Serdes.ByteArray(), Serdes.serdeFrom((topic, post) -> { throw new UnsupportedOperationException("read-only"); }, posts))
        .withTimestampExtractor(new CreatedAtExtractor()).withName("posts"))
        .peek((k, p) -> processed.increment(), Named.as("count-processed"));
    KStream<String, MinuteCount> closed = o.topology.equals("dsl") ? dsl(o, in) : partials(o, in, b, sources);
    closed.mapValues(MinuteCount::json, Named.as("count-json")).to(o.counts(), Produced.<String, String>with(Serdes.String(), Serdes.String()).withName("minute-counts-out"));
    b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(VelocityProcessor.STORE), Serdes.String(), TagState.serde()));
    closed.process(VelocityProcessor::new, Named.as("velocity"), VelocityProcessor.STORE)
        .to(o.trends(), Produced.<String, String>with(Serdes.String(), Serdes.String()).withName("trends-out"));
    return b.build();
  }

  /**
   * Our architecture in Kafka Streams: per posts partition, the late rule on the partition's own
   * stream time and counts per (hashtag, minute); closed partials and progress marks through one
   * repartition topic; the merge closes a minute when every partition's mark has passed it.
   */
  static KStream<String, MinuteCount> partials(Options o, KStream<byte[], Post> in, StreamsBuilder b, int sources) {
    b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PartialsProcessor.STORE), Serdes.Bytes(), Serdes.Long()).withCachingEnabled());
    if (o.dedup) b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PartialsProcessor.SEEN), Serdes.Bytes(), Serdes.ByteArray()).withCachingEnabled());
    b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(MergeProcessor.COUNTS), Serdes.Bytes(), Serdes.Long()).withCachingEnabled());
    b.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(MergeProcessor.MARKS), Serdes.Integer(), Serdes.Long()).withCachingEnabled());
    return in
        .process(() -> new PartialsProcessor(LATENESS_MS, o.idleMs, o.dedup, late::add, duplicates::add), Named.as("partials"),
            o.dedup ? new String[] {PartialsProcessor.STORE, PartialsProcessor.SEEN} : new String[] {PartialsProcessor.STORE})
        .repartition(Repartitioned.<String, Partial>with(Serdes.String(), Partial.serde()).withName("partials").withStreamPartitioner(Partial.partitioner()))
        .process(() -> new MergeProcessor(sources, late::add), Named.as("merge"), MergeProcessor.COUNTS, MergeProcessor.MARKS);
  }

  /** The textbook DSL topology: flatMap → groupByKey (repartition) → 1-minute windows, grace 30 s → count → closed windows. */
  static KStream<String, MinuteCount> dsl(Options o, KStream<byte[], Post> in) {
    TimeWindowedKStream<String, Integer> windowed = in
        .flatMap((k, p) -> {
          List<KeyValue<String, Integer>> out = new ArrayList<>(p.hashtags().length);
          String[] tags = p.hashtags();
          outer:
          for (int i = 0; i < tags.length; i++) {
            for (int j = 0; j < i; j++) if (tags[j].equals(tags[i])) continue outer; // a post counts once per tag
            out.add(KeyValue.pair(tags[i], 1));
          }
          return out;
        }, Named.as("explode-hashtags"))
        .groupByKey(Grouped.with("by-hashtag", Serdes.String(), Serdes.Integer()))
        // Tumbling 1-minute event-time windows (aligned to the epoch: minute = created_at floored to 60 s), grace 30 s.
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMinutes(1), Duration.ofSeconds(30)));
    if (o.emit.equals("close")) windowed = windowed.emitStrategy(EmitStrategy.onWindowClose());
    KTable<Windowed<String>, Long> counts = windowed.count(Named.as("count-per-minute"),
        Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("minute-counts").withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
    if (o.emit.equals("suppress")) {
      counts = counts.suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()).withName("until-minute-closes"));
    }
    return counts.toStream(Named.as("closed-minutes"))
        .map((w, c) -> KeyValue.pair(w.key(), new MinuteCount(w.key(), w.window().start(), c)), Named.as("to-minute-count"));
  }

  private static final Object OUT = new Object();

  static void line(String json) {
    synchronized (OUT) { System.out.println(json); System.out.flush(); }
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    PostDeserializer posts = new PostDeserializer(PostDeserializer.loadSchema(o.schema));
    Path stateDir = o.stateDir.isEmpty() ? Files.createTempDirectory("ks-peer-") : Files.createDirectories(Path.of(o.stateDir));

    Properties admin = new Properties();
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
    Admin adm = Admin.create(admin);
    List<TopicPartition> inputs = awaitInput(adm, o);
    ensureTopics(adm, o, List.of(o.counts(), o.trends()));
    Map<TopicPartition, Long> earliest = offsets(adm, inputs, OffsetSpec.earliest());

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, o.appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, o.guarantee);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, o.commitIntervalMs);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, o.threads);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    p.putAll(o.extra);

    Topology topology = topology(o, posts, inputs.size());
    System.err.println(topology.describe());
    KafkaStreams streams = new KafkaStreams(topology, p);
    CountDownLatch done = new CountDownLatch(1);
    AtomicBoolean stopping = new AtomicBoolean(false);
    streams.setUncaughtExceptionHandler(e -> {
      System.err.println("ks-peer: stream thread failed: " + e);
      e.printStackTrace();
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.setStateListener((now, before) -> {
      System.err.println("ks-peer: " + before + " -> " + now);
      if ((now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) && !stopping.get()) done.countDown();
    });

    line("{\"config\":{\"app_id\":" + Json.str(o.appId) + ",\"bootstrap\":" + Json.str(o.bootstrap) + ",\"input\":" + Json.str(o.posts())
        + ",\"input_partitions\":" + inputs.size() + ",\"counts_topic\":" + Json.str(o.counts()) + ",\"trends_topic\":" + Json.str(o.trends())
        + ",\"processing_guarantee\":" + Json.str(o.guarantee) + ",\"commit_interval_ms\":" + o.commitIntervalMs
        + ",\"num_stream_threads\":" + o.threads + ",\"topology\":" + Json.str(o.topology)
        + ",\"emit\":" + Json.str(o.topology.equals("dsl") ? o.emit : "on-close") + ",\"idle_ms\":" + o.idleMs
        + ",\"dedup\":" + (o.topology.equals("partials") && o.dedup) + ",\"window_ms\":60000,\"grace_ms\":30000"
        + ",\"state_dir\":" + Json.str(stateDir.toString()) + ",\"extra\":" + extraJson(o.extra) + ",\"kafka_streams\":" + Json.str(kafkaVersion()) + "}}");

    Thread progress = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          Thread.sleep(o.progressMs);
          line(progressJson(adm, o, inputs, earliest, streams, false));
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          System.err.println("ks-peer: progress: " + e);
        }
      }
    }, "ks-peer-progress");
    progress.setDaemon(true);

    Thread hook = new Thread(() -> {
      stopping.set(true);
      done.countDown();
      shutdown(streams, progress, adm, o, inputs, earliest);
    }, "ks-peer-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);

    streams.start();
    progress.start();
    done.await();
    if (!stopping.get()) {
      // The client died by itself (ERROR): report and exit non-zero (the hook prints the final line).
      System.err.println("ks-peer: Kafka Streams stopped in state " + streams.state());
      System.exit(1);
    }
    hook.join();
  }

  private static final AtomicBoolean shut = new AtomicBoolean(false);

  static void shutdown(KafkaStreams streams, Thread progress, Admin adm, Options o, List<TopicPartition> inputs, Map<TopicPartition, Long> earliest) {
    if (!shut.compareAndSet(false, true)) return;
    progress.interrupt();
    long t0 = System.currentTimeMillis();
    boolean clean = streams.close(Duration.ofMillis(o.closeTimeoutMs));
    String last;
    try {
      last = progressJson(adm, o, inputs, earliest, streams, true);
      last = last.substring(0, last.length() - 1) + ",\"clean\":" + clean + ",\"close_ms\":" + (System.currentTimeMillis() - t0) + "}";
    } catch (Exception e) {
      last = "{\"final\":true,\"consumed\":" + -1 + ",\"processed\":" + processed.sum() + ",\"t\":" + System.currentTimeMillis() + ",\"error\":" + Json.str(String.valueOf(e)) + "}";
    }
    line(last);
    adm.close(Duration.ofSeconds(5));
  }

  static String progressJson(Admin adm, Options o, List<TopicPartition> inputs, Map<TopicPartition, Long> earliest, KafkaStreams streams, boolean fin)
      throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
    Map<TopicPartition, OffsetAndMetadata> committed = adm.listConsumerGroupOffsets(o.appId).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
    Map<TopicPartition, Long> latest = offsets(adm, inputs, OffsetSpec.latest());
    long consumed = 0;
    long end = 0;
    for (TopicPartition tp : inputs) {
      long first = earliest.getOrDefault(tp, 0L);
      OffsetAndMetadata c = committed.get(tp);
      if (c != null) consumed += Math.max(0, c.offset() - first);
      end += Math.max(0, latest.getOrDefault(tp, 0L) - first);
    }
    // The app's own repartition topic(s): how far the merging stage is behind (transaction markers count too).
    List<TopicPartition> internal = new ArrayList<>();
    for (TopicPartition tp : committed.keySet()) if (tp.topic().startsWith(o.appId + "-") && tp.topic().endsWith("-repartition")) internal.add(tp);
    long internalLag = 0;
    if (!internal.isEmpty()) {
      Map<TopicPartition, Long> ends = offsets(adm, internal, OffsetSpec.latest());
      for (TopicPartition tp : internal) internalLag += Math.max(0, ends.getOrDefault(tp, 0L) - committed.get(tp).offset());
    }
    long t = System.currentTimeMillis();
    return "{" + (fin ? "\"final\":true," : "") + "\"consumed\":" + consumed + ",\"t\":" + t + ",\"processed\":" + processed.sum()
        + ",\"end\":" + end + ",\"lag\":" + Math.max(0, end - consumed) + ",\"internal_lag\":" + internalLag + ",\"dropped\":" + dropped(streams) + ",\"duplicates\":" + duplicates.sum() + ",\"state\":\"" + streams.state() + "\"}";
  }

  /** Records dropped by Kafka Streams (expired windows, bad records: task metric dropped-records-total) plus our late posts. */
  private static volatile long lastStreamsDropped;

  static long dropped(KafkaStreams streams) {
    double sum = 0;
    for (var e : streams.metrics().entrySet()) {
      if (e.getKey().name().equals("dropped-records-total") && e.getKey().group().equals("stream-task-metrics")) {
        Object v = e.getValue().metricValue();
        if (v instanceof Number n) sum += n.doubleValue();
      }
    }
    // The metrics go away when the client closes: the final line keeps the last value seen.
    lastStreamsDropped = Math.max(lastStreamsDropped, (long) sum);
    return lastStreamsDropped + late.sum();
  }

  static Map<TopicPartition, Long> offsets(Admin adm, List<TopicPartition> tps, OffsetSpec spec)
      throws ExecutionException, InterruptedException, java.util.concurrent.TimeoutException {
    Map<TopicPartition, OffsetSpec> q = new HashMap<>();
    for (TopicPartition tp : tps) q.put(tp, spec);
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> r = adm.listOffsets(q).all().get(10, TimeUnit.SECONDS);
    Map<TopicPartition, Long> out = new HashMap<>();
    r.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  static List<TopicPartition> awaitInput(Admin adm, Options o) throws Exception {
    long deadline = System.currentTimeMillis() + o.waitInputMs;
    while (true) {
      try {
        TopicDescription d = adm.describeTopics(Set.of(o.posts())).allTopicNames().get(10, TimeUnit.SECONDS).get(o.posts());
        List<TopicPartition> out = new ArrayList<>();
        d.partitions().forEach(pi -> out.add(new TopicPartition(o.posts(), pi.partition())));
        return out;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.currentTimeMillis() > deadline) throw e;
        Thread.sleep(500);
      }
    }
  }

  static void ensureTopics(Admin adm, Options o, List<String> names) throws Exception {
    List<NewTopic> topics = new ArrayList<>();
    for (String n : names) topics.add(new NewTopic(n, java.util.Optional.of(o.outPartitions), java.util.Optional.empty()));
    adm.createTopics(topics).values().forEach((name, f) -> {
      try {
        f.get(30, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw new RuntimeException("creating " + name + ": " + e.getCause(), e.getCause());
      } catch (Exception e) {
        throw new RuntimeException("creating " + name + ": " + e, e);
      }
    });
  }

  static String extraJson(Map<String, String> m) {
    StringBuilder b = new StringBuilder("{");
    m.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append(Json.str(k)).append(':').append(Json.str(v)));
    return b.append('}').toString();
  }

  static String kafkaVersion() {
    try (java.io.InputStream in = KafkaStreams.class.getResourceAsStream("/kafka/kafka-version.properties")) {
      Properties v = new Properties();
      if (in != null) v.load(in);
      return v.getProperty("version", "unknown");
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
