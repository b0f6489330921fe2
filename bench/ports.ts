// The bench's own Kafka broker and ClickHouse server listen here (below Linux's ephemeral range,
// 32768-60999, so a client's outgoing connection cannot take the port while a node is down);
// BENCH_KAFKA_PORT and BENCH_CLICKHOUSE_PORT move them.
export const BENCH_KAFKA_PORT = Number(process.env.BENCH_KAFKA_PORT ?? 26092);
export const BENCH_CLICKHOUSE_PORT = Number(process.env.BENCH_CLICKHOUSE_PORT ?? 26123);
