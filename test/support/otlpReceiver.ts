/**
 * An OTLP/HTTP trace receiver of the test's own: a real HTTP server on
 * loopback that accepts `POST /v1/traces` as protobuf or JSON and decodes
 * every span with its attributes (the protobuf decoding is written here from
 * the OTLP schema, so the exporter's own code is not what checks it).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttributeValue = string | number | boolean | null | AttributeValue[];

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** As @opentelemetry/api numbers it: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  kind: number;
  attributes: Record<string, AttributeValue>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** The resource's service.name. */
  service: string;
  contentType: string;
}

// ---- protobuf wire format: just what OTLP traces use ----
type Field = { number: number; wire: number; value: bigint | Buffer };

function* fields(buf: Buffer): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[at++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const wire = key & 7;
    const number = key >>> 3;
    if (wire === 0) yield { number, wire, value: varint() };
    else if (wire === 1) {
      yield { number, wire, value: buf.readBigUInt64LE(at) };
      at += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      yield { number, wire, value: buf.subarray(at, at + length) };
      at += length;
    } else if (wire === 5) {
      yield { number, wire, value: BigInt(buf.readUInt32LE(at)) };
      at += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
}

const bytesOf = (f: Field) => f.value as Buffer;

function anyValue(buf: Buffer): AttributeValue {
  for (const f of fields(buf)) {
    switch (f.number) {
      case 1:
        return bytesOf(f).toString('utf8');
      case 2:
        return f.value !== 0n;
      case 3:
        return Number(BigInt.asIntN(64, f.value as bigint));
      case 4: {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(f.value as bigint);
        return b.readDoubleLE(0);
      }
      case 5:
        return [...fields(bytesOf(f))].map((v) => anyValue(bytesOf(v)));
      default:
        return `<field ${f.number}>`;
    }
  }
  return null;
}

function keyValues(list: Buffer[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list) {
    let key = '';
    let value: AttributeValue = null;
    for (const f of fields(kv)) {
      if (f.number === 1) key = bytesOf(f).toString('utf8');
      if (f.number === 2) value = anyValue(bytesOf(f));
    }
    out[key] = value;
  }
  return out;
}

function protobufSpans(body: Buffer): Omit<ReceivedSpan, 'contentType'>[] {
  const spans: Omit<ReceivedSpan, 'contentType'>[] = [];
  for (const resourceSpans of fields(body)) {
    let service = '';
    const scopes: Buffer[] = [];
    for (const f of fields(bytesOf(resourceSpans))) {
      if (f.number === 1) {
        const attrs = [...fields(bytesOf(f))].filter((a) => a.number === 1).map(bytesOf);
        service = String(keyValues(attrs)['service.name']);
      }
      if (f.number === 2) scopes.push(bytesOf(f));
    }
    for (const scope of scopes) {
      for (const s of fields(scope)) {
        if (s.number !== 2) continue;
        const span: Omit<ReceivedSpan, 'contentType'> = {
          traceId: '',
          spanId: '',
          parentSpanId: '',
          name: '',
          kind: 0,
          attributes: {},
          statusCode: 0,
          service,
        };
        const attrs: Buffer[] = [];
        for (const f of fields(bytesOf(s))) {
          if (f.number === 1) span.traceId = bytesOf(f).toString('hex');
          if (f.number === 2) span.spanId = bytesOf(f).toString('hex');
          if (f.number === 4) span.parentSpanId = bytesOf(f).toString('hex');
          if (f.number === 5) span.name = bytesOf(f).toString('utf8');
          if (f.number === 6) span.kind = Number(f.value) - 1;
          if (f.number === 9) attrs.push(bytesOf(f));
          if (f.number === 15) {
            for (const st of fields(bytesOf(f)))
              if (st.number === 3) span.statusCode = Number(st.value);
          }
        }
        span.attributes = keyValues(attrs);
        spans.push(span);
      }
    }
  }
  return spans;
}

// ---- OTLP/JSON ----
interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: JsonAnyValue[] };
}
interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}

function jsonValue(v: JsonAnyValue): AttributeValue {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(jsonValue);
  return null;
}

const jsonAttributes = (list: JsonKeyValue[] = []) =>
  Object.fromEntries(list.map((kv) => [kv.key, jsonValue(kv.value)]));

function jsonSpans(body: Buffer): Omit<ReceivedSpan, 'contentType'>[] {
  const request = JSON.parse(body.toString('utf8')) as {
    resourceSpans: Array<{
      resource?: { attributes?: JsonKeyValue[] };
      scopeSpans: Array<{
        spans: Array<{
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          name: string;
          kind: number;
          attributes?: JsonKeyValue[];
          status?: { code?: number };
        }>;
      }>;
    }>;
  };
  return request.resourceSpans.flatMap((rs) => {
    const service = String(jsonAttributes(rs.resource?.attributes)['service.name']);
    return rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((s) => ({
        // OTLP/JSON ids are hex strings (the spec's exception to base64 bytes)
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId ?? '',
        name: s.name,
        kind: s.kind - 1,
        attributes: jsonAttributes(s.attributes),
        statusCode: s.status?.code ?? 0,
        service,
      })),
    );
  });
}

export interface OtlpReceiver {
  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Request headers of every export, in order. */
  requests: Array<Record<string, string | string[] | undefined>>;
  /** Resolves when `predicate` holds for the spans received so far (polls; rejects after `timeoutMs`). */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const contentType = req.headers['content-type'] ?? '';
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      requests.push(req.headers);
      const decoded = contentType.includes('json') ? jsonSpans(body) : protobufSpans(body);
      for (const span of decoded) spans.push({ ...span, contentType });
      res
        .writeHead(200, { 'content-type': contentType })
        .end(contentType.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    requests,
    async waitFor(predicate, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > deadline) {
          throw new Error(
            `spans not received in time; got: ${spans.map((s) => s.name).join(', ')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
