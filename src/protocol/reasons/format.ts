/**
 * The parameters of a reason, and how they are put into a text: `__name__` is replaced by the
 * parameter `name`, as Node-RED's message catalogs (i18next) do, so the English tables below and
 * the nodes' locale catalogs use the same texts and the same placeholders.
 */

/** Values put into a reason's text. */
export type ReasonParams = Readonly<Record<string, string | number>>;

/** Replaces each `__name__` in `text` with `params[name]` (unknown names are left as they are). */
export function fillIn(text: string, params: ReasonParams = {}): string {
  return text.replace(/__([A-Za-z][A-Za-z0-9]*)__/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

/** The placeholders a text uses, sorted (for the test that every language keeps them). */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/__([A-Za-z][A-Za-z0-9]*)__/g)].map((m) => m[1] ?? '').sort();
}
