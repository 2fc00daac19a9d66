import { createRequire } from 'node:module';
import {
  historyFromJSON as sdkHistoryFromJSON,
  historyToJSON as sdkHistoryToJSON,
  type History,
} from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { canonicalJson } from '../../core/canonical-json';
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

/**
 * The archived form of a history: its replayable JSON with members in RFC 8785 order. The server
 * sends protobuf map entries (a search attribute's payload `metadata`, say) in no fixed order, so
 * two fetches of the same closed run give different historyToJSON text; sorted, the text (and its
 * digest) depends on the history alone.
 */
export function canonicalHistoryJSON(history: History): string {
  return canonicalJson(JSON.parse(historyToJSON(history)));
}

/** The archived form of history JSON text of any member order (an archive written before stop 12). */
export function canonicalHistoryText(json: string): string {
  return canonicalJson(JSON.parse(json));
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
