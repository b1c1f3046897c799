import { DomainError } from "../errors";
import type { StrengthEstimate, StrengthEstimator } from "./strength-estimator";

/** What the policy knows of the account a password is for (its words are the first an attacker tries). */
export type PasswordOwner = {
  username?: string | undefined;
  email?: string | undefined;
  first_name?: string | undefined;
  last_name?: string | undefined;
};

export type PasswordVerdict = StrengthEstimate & { minScore: number; acceptable: boolean };

export type PasswordPolicy = {
  /** The score needed (0..4, PASSWORD_MIN_SCORE). */
  minScore: number;
  /** The estimate of a candidate, with the owner's words (and any `extraInputs`) as a dictionary. */
  judge(password: string, owner: PasswordOwner, extraInputs?: readonly string[]): Promise<PasswordVerdict>;
  /** WEAK_PASSWORD (400, with zxcvbn's warning and suggestions as `issues`) below the minimum score. */
  assert(password: string, owner: PasswordOwner): Promise<void>;
};

/** The form a password is judged (and measured) in: NFKC, so look-alike code points count as one. */
export const normalizePassword = (password: string) => password.normalize("NFKC");

/**
 * The owner's words as zxcvbn's user dictionary: username, email, the email's local part
 * and its pieces (split at ".", "_", "-", "+"), first and last name. zxcvbn matches them
 * case-insensitively, reversed and in l33t, anywhere in the password, so "J0hnDoe1990!" is
 * as weak as "johndoe".
 */
export function ownerWords(owner: PasswordOwner): string[] {
  const words = new Set<string>();
  const add = (value: string | undefined) => {
    const word = value?.trim().toLowerCase();
    if (word && word.length >= 2) words.add(normalizePassword(word));
  };
  add(owner.username);
  add(owner.first_name);
  add(owner.last_name);
  add(owner.email);
  const local = owner.email?.split("@")[0];
  add(local);
  for (const piece of local?.split(/[._+-]/) ?? []) add(piece);
  return [...words];
}

/** l33t substitutions undone, one character for one, so positions still match the password's. */
const unleet: Record<string, string> = {
  "0": "o",
  "1": "l",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "8": "b",
  "@": "a",
  $: "s",
  "!": "i",
  "|": "l",
  "+": "t",
};

/**
 * The password with every owner word of 3 or more characters cut out, found case-insensitively,
 * reversed and through l33t ("Z3bul0n-Quart3rmain3!" minus Zebulon Quartermaine leaves "-!"). What
 * is left must be strong on its own: zxcvbn alone rates a long mix of the user's own names
 * as strong.
 */
export function withoutOwnerWords(password: string, words: readonly string[]): string {
  const chars = [...password];
  // Lower-cased one character at a time, so that positions keep matching the password's: a
  // character whose lower case is longer ("İ" is "i̇") stays as it is, and cannot make the
  // whole password skip the cut.
  const plain = chars.map((c) => {
    const lower = c.toLowerCase();
    return [...lower].length === 1 ? (unleet[lower] ?? lower) : c;
  });
  const cut = new Array<boolean>(chars.length).fill(false);
  const text = plain.join("");
  for (const word of words) {
    if ([...word].length < 3) continue;
    const forward = [...word].map((c) => unleet[c] ?? c);
    // Reversed too: "Nolubez" is Zebulon as much as "Z3bul0n" is.
    for (const target of [forward.join(""), [...forward].reverse().join("")]) {
      for (let at = text.indexOf(target); at >= 0; at = text.indexOf(target, at + 1)) {
        const start = [...text.slice(0, at)].length;
        for (let i = 0; i < forward.length; i++) cut[start + i] = true;
      }
    }
  }
  return chars.filter((_, i) => !cut[i]).join("");
}

/** zxcvbn's feedback when what is left without the owner's words is weak. */
const ownerWordsAdvice = {
  warning: "The password is built from the username, email address or names.",
  suggestions: ["Use words that have nothing to do with you."],
};

export const weakPassword = (verdict: PasswordVerdict) =>
  new DomainError(
    "WEAK_PASSWORD",
    `The password is too easy to guess (strength ${verdict.score} of 4, at least ${verdict.minScore} needed): choose a longer one, e.g. a few unrelated words.`,
    {
      issues: [
        ...(verdict.warning ? [verdict.warning] : []),
        ...verdict.suggestions,
        ...(verdict.warning || verdict.suggestions.length ? [] : ["Add another word or two."]),
      ].map((message) => ({ path: "password", message })),
    },
  );

/**
 * The password policy of new passwords (registration, reset, change; never login or an
 * import of existing hashes): a zxcvbn score of at least `minScore`, the owner's own words
 * counting for nothing. Judged on the NFKC form; the password is hashed as given, so that
 * stored hashes keep matching what users type (see docs/security.md).
 */
export function createPasswordPolicy(deps: {
  minScore: number;
  estimator: StrengthEstimator;
}): PasswordPolicy {
  const judge: PasswordPolicy["judge"] = async (password, owner, extraInputs = []) => {
    const extra = extraInputs
      .map((w) => normalizePassword(w.trim().toLowerCase()))
      .filter((w) => w.length >= 2);
    const inputs = [...new Set([...ownerWords(owner), ...extra])];
    const normalized = normalizePassword(password);
    let estimate = await deps.estimator.estimate(normalized, inputs);
    const rest = withoutOwnerWords(normalized, inputs);
    if (rest !== normalized) {
      const alone = await deps.estimator.estimate(rest, inputs);
      if (alone.score < estimate.score) estimate = { ...ownerWordsAdvice, score: alone.score };
    }
    return { ...estimate, minScore: deps.minScore, acceptable: estimate.score >= deps.minScore };
  };
  return {
    minScore: deps.minScore,
    judge,
    async assert(password, owner) {
      const verdict = await judge(password, owner);
      if (!verdict.acceptable) throw weakPassword(verdict);
    },
  };
}
