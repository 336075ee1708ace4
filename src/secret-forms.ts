/**
 * The forms a secret value (a password) takes in text that may be printed: as it is, JSON-escaped
 * and URL-encoded, longest first so that a longer form is masked before a shorter one inside it.
 * Shared by the nodes' and the CLI's redaction, which differ only in where they mask a form.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}
