import { Metadata } from '@grpc/grpc-js';
import { googleRpcErrorDetails, googleRpcStatus } from '@aether/contracts';
import type { FieldViolation } from './domain-errors';

/**
 * gRPC's richer error model: the trailer holding a serialised google.rpc.Status whose details
 * are google.rpc.ErrorInfo (reason = the stable error code), BadRequest (field violations) and
 * RetryInfo. It is binary metadata, so no message text can break the transport; grpcurl and
 * the grpc-status-details libraries of every language read it.
 */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
/** ErrorInfo.domain of every platform error: the namespace its reasons (codes) belong to. */
export const ERROR_DOMAIN = 'aether.dev';

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const ERROR_INFO_TYPE = `${TYPE_URL_PREFIX}google.rpc.ErrorInfo`;
const BAD_REQUEST_TYPE = `${TYPE_URL_PREFIX}google.rpc.BadRequest`;
const RETRY_INFO_TYPE = `${TYPE_URL_PREFIX}google.rpc.RetryInfo`;

// Trailers share one HTTP/2 header block with a size limit (Node's default 64 KiB, 8 KiB in some
// clients), and grpc-message repeats the message percent-encoded (up to 9 bytes per character):
// texts are capped and violations kept only while the encoded status stays within budget.
const MAX_TEXT_UNITS = 300;
const DETAILS_BUDGET_BYTES = 3072;

/** The domain detail of a failed call, as the kit sends it and readGrpcError reads it back. */
export interface StatusDetails {
  grpcCode: number;
  message: string;
  /** The stable error code (ErrorInfo.reason), e.g. VALIDATION_FAILED. */
  reason?: string;
  violations?: FieldViolation[];
  retryAfterSeconds?: number;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text that every layer of the transport accepts: lone surrogates (which make grpc-js'
 * encodeURI of grpc-message throw) become U+FFFD, and long texts are cut at a character
 * boundary with an ellipsis.
 */
export function wireSafeText(text: string, maxUnits = MAX_TEXT_UNITS): string {
  const wellFormed = text.replace(LONE_SURROGATE, '\uFFFD');
  if (wellFormed.length <= maxUnits) return wellFormed;
  let cut = wellFormed.slice(0, maxUnits - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

function pack(typeUrl: string, value: Uint8Array) {
  return { typeUrl, value };
}

/** google.rpc.Status bytes for the trailer; texts are made wire-safe and the size bounded. */
export function encodeStatusDetails(d: StatusDetails): Buffer {
  const details = [];
  if (d.reason) {
    details.push(pack(ERROR_INFO_TYPE, googleRpcErrorDetails.ErrorInfo.encode({ reason: d.reason, domain: ERROR_DOMAIN, metadata: {} }).finish()));
  }
  if (d.retryAfterSeconds !== undefined && Number.isFinite(d.retryAfterSeconds) && d.retryAfterSeconds >= 0) {
    const seconds = Math.floor(d.retryAfterSeconds);
    const nanos = Math.round((d.retryAfterSeconds - seconds) * 1e9);
    details.push(pack(RETRY_INFO_TYPE, googleRpcErrorDetails.RetryInfo.encode({ retryDelay: { seconds: String(seconds), nanos } }).finish()));
  }
  const status = { code: d.grpcCode, message: wireSafeText(d.message), details };
  let encoded = googleRpcStatus.Status.encode(status).finish();
  const violations = (d.violations ?? []).map((v) => ({ field: wireSafeText(v.field, 100), description: wireSafeText(v.message) }));
  if (violations.length) {
    // Keep the longest prefix of the violations that fits the budget (the first one always).
    let kept = violations.length;
    for (;;) {
      const badRequest = googleRpcErrorDetails.BadRequest.encode({ fieldViolations: violations.slice(0, kept) }).finish();
      const candidate = googleRpcStatus.Status.encode({ ...status, details: [...details, pack(BAD_REQUEST_TYPE, badRequest)] }).finish();
      if (candidate.length <= DETAILS_BUDGET_BYTES || kept === 1) {
        encoded = candidate;
        break;
      }
      kept = Math.max(1, Math.floor(kept / 2));
    }
  }
  return Buffer.from(encoded);
}

/** Reads the trailer's bytes back; undefined when they are not a google.rpc.Status. */
export function decodeStatusDetails(bytes: Uint8Array): StatusDetails | undefined {
  try {
    const status = googleRpcStatus.Status.decode(bytes);
    const out: StatusDetails = { grpcCode: status.code, message: status.message };
    for (const any of status.details) {
      if (any.typeUrl === ERROR_INFO_TYPE) {
        out.reason = googleRpcErrorDetails.ErrorInfo.decode(any.value).reason || undefined;
      } else if (any.typeUrl === BAD_REQUEST_TYPE) {
        out.violations = googleRpcErrorDetails.BadRequest.decode(any.value).fieldViolations.map((v) => ({ field: v.field, message: v.description }));
      } else if (any.typeUrl === RETRY_INFO_TYPE) {
        const delay = googleRpcErrorDetails.RetryInfo.decode(any.value).retryDelay;
        if (delay) out.retryAfterSeconds = Number(delay.seconds) + delay.nanos / 1e9;
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Trailers of a failed call carrying its details (what the kit's gRPC filter sends). */
export function statusDetailsMetadata(d: StatusDetails): Metadata {
  const metadata = new Metadata();
  metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(d));
  return metadata;
}
