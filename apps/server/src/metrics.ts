/**
 * Prometheus metrics (text exposition format, GET /metrics), through prom-client with a registry of the server's
 * own: requests by endpoint and status, queue depth, admitted sequences, the cache memory they reserve, prompt and
 * generated tokens, generated tokens per second over the last 10 s, and histograms of time to first token,
 * inter-token latency and decode batch size.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Scheduler, SchedulerObserver } from './engine/scheduler.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const RATE_WINDOW_SECONDS = 10;

export class ServerMetrics implements SchedulerObserver {
  readonly registry = new Registry();
  private scheduler: Scheduler | undefined;
  private readonly requests: Counter<'endpoint' | 'status'>;
  private readonly prompt: Counter;
  private readonly generated: Counter;
  private readonly ttft: Histogram;
  private readonly itl: Histogram;
  private readonly batchSize: Histogram;
  /** Generated tokens per whole second (ring of the last RATE_WINDOW_SECONDS seconds). */
  private readonly perSecond = new Map<number, number>();

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'falcon_h1_requests_total',
      help: 'HTTP requests answered, by endpoint and status code',
      labelNames: ['endpoint', 'status'],
      registers,
    });
    this.prompt = new Counter({ name: 'falcon_h1_prompt_tokens_total', help: 'Prompt tokens prefilled', registers });
    this.generated = new Counter({ name: 'falcon_h1_generated_tokens_total', help: 'Tokens generated', registers });
    this.ttft = new Histogram({
      name: 'falcon_h1_time_to_first_token_seconds',
      help: 'From a sequence entering the queue to its first generated token',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.itl = new Histogram({
      name: 'falcon_h1_inter_token_latency_seconds',
      help: 'Between consecutive generated tokens of a sequence',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.batchSize = new Histogram({
      name: 'falcon_h1_decode_batch_size',
      help: 'Sequences per decode step',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    });
    const scheduler = () => this.scheduler;
    new Gauge({
      name: 'falcon_h1_queue_depth',
      help: 'Sequences waiting for admission',
      registers,
      collect() {
        this.set(scheduler()?.queueDepth ?? 0);
      },
    });
    new Gauge({
      name: 'falcon_h1_active_sequences',
      help: 'Sequences being prefilled or decoded',
      registers,
      collect() {
        this.set(scheduler()?.activeCount ?? 0);
      },
    });
    new Gauge({
      name: 'falcon_h1_cache_reserved_bytes',
      help: 'Cache memory the admitted sequences may reach',
      registers,
      collect() {
        this.set(scheduler()?.reservedCacheBytes ?? 0);
      },
    });
    new Gauge({
      name: 'falcon_h1_cache_budget_bytes',
      help: 'Cache memory budget',
      registers,
      collect() {
        this.set(scheduler()?.pool.budgetBytes ?? 0);
      },
    });
    const rate = () => this.tokensPerSecond();
    new Gauge({
      name: 'falcon_h1_generation_tokens_per_second',
      help: `Tokens generated per second over the last ${RATE_WINDOW_SECONDS} s`,
      registers,
      collect() {
        this.set(rate());
      },
    });
  }

  attach(scheduler: Scheduler): void {
    this.scheduler = scheduler;
  }

  request(endpoint: string, status: number): void {
    this.requests.inc({ endpoint, status: String(status) });
  }

  firstToken(seconds: number): void {
    this.ttft.observe(seconds);
  }

  nextToken(seconds: number): void {
    this.itl.observe(seconds);
  }

  decodeStep(rows: number): void {
    this.batchSize.observe(rows);
  }

  promptTokens(count: number): void {
    this.prompt.inc(count);
  }

  generatedTokens(count: number): void {
    this.generated.inc(count);
    const second = Math.floor(Date.now() / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + count);
    for (const key of this.perSecond.keys()) if (key <= second - RATE_WINDOW_SECONDS) this.perSecond.delete(key);
  }

  private tokensPerSecond(): number {
    const now = Math.floor(Date.now() / 1000);
    let total = 0;
    for (const [second, count] of this.perSecond) if (second > now - RATE_WINDOW_SECONDS) total += count;
    return total / RATE_WINDOW_SECONDS;
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
