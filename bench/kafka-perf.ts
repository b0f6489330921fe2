// The physical limit, measured with Kafka's own tools from the same broker artifacts:
// kafka-producer-perf-test and kafka-consumer-perf-test on our message size.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { kafkaLibs } from '../deploy/local/kafka.js';

const run = promisify(execFile);

export async function producerPerf(o: { brokers: string; topic: string; records: number; recordSize: number }): Promise<number> {
  const { stdout } = await run('java', ['-Xmx512m', '-cp', `${kafkaLibs()}/*`, 'org.apache.kafka.tools.ProducerPerformance',
    '--topic', o.topic, '--num-records', String(o.records), '--record-size', String(o.recordSize), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${o.brokers}`, 'acks=all', 'enable.idempotence=true', 'linger.ms=5', 'batch.size=262144'], { maxBuffer: 64 << 20 });
  // Last line: "1000000 records sent, 412345.6 records/sec (141.52 MB/sec), ..."
  const m = /(\d+) records sent, ([\d.]+) records\/sec/.exec(stdout.trim().split('\n').pop()!);
  if (!m) throw new Error(`unexpected producer-perf output: ${stdout.slice(-500)}`);
  return Number(m[2]);
}

export async function consumerPerf(o: { brokers: string; topic: string; records: number }): Promise<number> {
  const { stdout } = await run('java', ['-Xmx512m', '-cp', `${kafkaLibs()}/*`, 'org.apache.kafka.tools.ConsumerPerformance',
    '--bootstrap-server', o.brokers, '--topic', o.topic, '--messages', String(o.records), '--timeout', '60000',
    '--command-property', 'isolation.level=read_committed', '--hide-header'], { maxBuffer: 64 << 20 });
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const cols = stdout.trim().split('\n').pop()!.split(',').map((s) => s.trim());
  const fetchRate = Number(cols[9]);
  if (!Number.isFinite(fetchRate)) throw new Error(`unexpected consumer-perf output: ${stdout.slice(-500)}`);
  return fetchRate;
}
