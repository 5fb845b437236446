/**
 * 统一社会信用代码 (GB 32100-2015) in the page: the same normalisation and check digit as
 * common/identifiers.py (`normalize_uscc`, `uscc_check_digit`), so staff hear what is wrong before
 * the server is asked. `usccProblem(text)` → a Chinese reason, or "" when the code is valid.
 */
const CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** Full-width folded, spaces and dashes dropped, upper-cased (does not validate). */
export function normalizeUscc(text) {
  return String(text || "").normalize("NFKC").replace(/[\s\-‐‑‒–—―]+/g, "").toUpperCase();
}

export function usccCheckDigit(first17) {
  let total = 0;
  for (let i = 0; i < 17; i += 1) total += CHARSET.indexOf(first17[i]) * WEIGHTS[i];
  return CHARSET[(31 - (total % 31)) % 31];
}

export function usccProblem(text) {
  const code = normalizeUscc(text);
  if (!code) return "请输入统一社会信用代码";
  if (code.length !== 18) return `统一社会信用代码应为18位，您输入了${code.length}位`;
  const bad = [...code].find((ch) => !CHARSET.includes(ch));
  if (bad) return `统一社会信用代码中不能有“${bad}”（不使用 I、O、Z、S、V）`;
  if (usccCheckDigit(code.slice(0, 17)) !== code[17]) return "统一社会信用代码的校验位不对，请核对后重新输入";
  return "";
}
