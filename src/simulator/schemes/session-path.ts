/**
 * How a camera or TPAP device reads the token out of its session path `/stok=<segment>/ds`
 * (camera.md §2, tpap.md §8). Real tokens are letters, digits and `( ) . ! * ~`, which a client
 * sends as they are. The simulator can also hand out a token that cannot stand in a path segment
 * (fault `loginStok`, e.g. `../x/../y`): such a token is accepted only in the one spelling a
 * careful client sends, every character outside that set percent-encoded as `encodeURIComponent`
 * does, and never as the path a URL parser would make of it unencoded.
 */

/**
 * The token a session path segment names: the segment decoded, when the segment is exactly that
 * token's `encodeURIComponent` spelling (for a real token: the token itself). Undefined for any
 * other spelling (a needlessly encoded character, malformed escapes).
 */
export function stokFromSegment(segment: string): string | undefined {
  let token: string;
  try {
    token = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  return encodeURIComponent(token) === segment ? token : undefined;
}
