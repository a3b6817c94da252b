/**
 * Turns a title into a URL slug: "Crème brûlée, 2 ways!" -> "creme-brulee-2-ways".
 * @param {string} text
 * @param {{ separator?: string, maxLength?: number }} [options]
 * @returns {string}
 */
export function slugify(text, { separator = "-", maxLength = 80 } = {}) {
  if (typeof text !== "string") {
    throw new TypeError(
      `slugify expects a string, got ${text === null ? "null" : typeof text}`,
    );
  }
  // NFKD splits "é" into "e" plus a combining accent, which the next step drops.
  const words = text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = words.join(separator);
  if (slug.length > maxLength) {
    const cut = slug.slice(0, maxLength);
    // Prefer ending on a whole word; a single word longer than maxLength is cut mid-word.
    const lastSeparator = cut.lastIndexOf(separator);
    const atWord = slug.startsWith(separator, maxLength);
    slug = atWord ? cut : lastSeparator > 0 ? cut.slice(0, lastSeparator) : cut;
  }
  return slug;
}
