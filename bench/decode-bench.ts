// What the collector's OTLP reading costs beyond the parser it stands on, in the same process:
// JSON.parse (or protobufjs' decode) of the agent's body is the baseline, decode + boot
// extraction the figure. The walk checks every field and keeps its path for errors; it should
// cost a fraction of the parse, and this ratio is what shows when a change makes it slow again
// (a spread of a base object into each data point once made decoding 2x slower).
import { extractBoots } from '../collector/otlp/boot-extract.js';
import { decodeMetricsRequest } from '../collector/otlp/decode.js';
import { ExportMetricsServiceRequest } from '../collector/otlp/otlp-proto-schema.js';
import { bootBodies } from './otlp-bodies.js';
import { summarize, type Summary } from './stats.js';

export interface DecodeFigures {
  encoding: 'json' | 'protobuf';
  bodyBytes: number;
  /** µs per body: JSON.parse, or protobufjs decode. */
  parseUs: Summary;
  /** µs per body: decodeMetricsRequest + extractBoots (the parse included). */
  decodeUs: Summary;
  /** decode / parse, on medians. */
  ratio: number;
}

export async function benchDecode(
  encoding: 'json' | 'protobuf',
  rounds = 5,
  perRound = 20_000,
): Promise<DecodeFigures> {
  const factory = await bootBodies(encoding);
  // Distinct bodies, as in the ingest bench, cycled so that they stay in cache alike for both.
  const bodies = Array.from({ length: 1000 }, (_, i) => factory.body(i + 1));
  const parse =
    encoding === 'json'
      ? (b: Buffer) => JSON.parse(b.toString('utf8')) as unknown
      : (b: Buffer) => ExportMetricsServiceRequest.decode(b);
  const context = { receivedAtMs: Date.now(), known: {} };
  const decode = (b: Buffer) => extractBoots(decodeMetricsRequest(b, factory.contentType), context);
  const timeUs = (f: (b: Buffer) => unknown) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) f(bodies[i % bodies.length]!);
    return Number(process.hrtime.bigint() - t0) / 1000 / perRound;
  };
  timeUs(parse); // warm-up: both compiled before anything counts
  timeUs(decode);
  const p: number[] = [];
  const d: number[] = [];
  for (let r = 0; r < rounds; r++) {
    p.push(timeUs(parse));
    d.push(timeUs(decode));
  }
  const parseUs = summarize(p);
  const decodeUs = summarize(d);
  return {
    encoding,
    bodyBytes: bodies[0]!.length,
    parseUs,
    decodeUs,
    ratio: decodeUs.median / parseUs.median,
  };
}
