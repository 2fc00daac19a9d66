import { createRequire } from 'node:module';
import {
  historyFromJSON as sdkHistoryFromJSON,
  historyToJSON as sdkHistoryToJSON,
  type History,
} from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/*
 * historyToJSON / historyFromJSON from @temporalio/common, with a fallback: in this install
 * @temporalio/common and @temporalio/proto each carry their own copy of protobufjs 8, and
 * protobufjs' protojson rejects a type built by the other copy ("type must be a Type"). The
 * fallback runs the same protojson conversion with the copy @temporalio/proto was built with,
 * so the output is the same replayable JSON.
 */
type ProtoJson = {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, opts: { ignoreUnknownFields: boolean }): unknown;
};
let fallback: { protojson: ProtoJson; historyType: unknown } | undefined;
function protoFallback() {
  if (!fallback) {
    const req = createRequire(require.resolve('@temporalio/proto'));
    const protojson = req('protobufjs/ext/protojson') as ProtoJson;
    // The raw CommonJS export is the protobufjs Root (a namespace import would wrap it).
    const root = patchProtobufRoot(createRequire(__filename)('@temporalio/proto')) as unknown as {
      lookupType(name: string): unknown;
    };
    fallback = { protojson, historyType: root.lookupType('temporal.api.history.v1.History') };
  }
  return fallback;
}

const isTypeMismatch = (err: unknown) => err instanceof TypeError && /must be a Type/.test(err.message);

/** A fetched history as replayable JSON text (the norm of `temporal workflow show --output json`). */
export function historyToJSON(history: History): string {
  try {
    return sdkHistoryToJSON(history);
  } catch (err) {
    if (!isTypeMismatch(err)) throw err;
    const { protojson, historyType } = protoFallback();
    const message = proto.temporal.api.history.v1.History.fromObject(history);
    return JSON.stringify(protojson.toJson(historyType, message), null, 2);
  }
}

/** Parses history JSON (text or object) into a History that Worker.runReplayHistory accepts as is. */
export function historyFromJSON(json: string | unknown): History {
  const obj = typeof json === 'string' ? (JSON.parse(json) as unknown) : json;
  try {
    return sdkHistoryFromJSON(obj);
  } catch (err) {
    if (!isTypeMismatch(err)) throw err;
    const { protojson, historyType } = protoFallback();
    return protojson.fromJson(historyType, obj, { ignoreUnknownFields: true }) as History;
  }
}
