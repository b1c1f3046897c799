import { afterAll, describe, expect, it } from "vitest";
import { domainErrorOf, inProcessEstimator } from "../../test/fakes";
import { passwordSchema } from "../users/schemas";
import { createPasswordPolicy, ownerWords, withoutOwnerWords } from "./password-policy";
import { passwordStrengthInputSchema } from "./schemas";
import { createStrengthEstimator } from "./strength-estimator";

const policy = createPasswordPolicy({ minScore: 3, estimator: inProcessEstimator() });
const zebulon = {
  username: "zquarter",
  email: "zebulon.quartermaine@example.com",
  first_name: "Zebulon",
  last_name: "Quartermaine",
};

describe("password policy", () => {
  it("refuses a common password with zxcvbn's warning and suggestions as issues", async () => {
    const error = await domainErrorOf(policy.assert("Password1!", zebulon));
    expect(error.code).toBe("WEAK_PASSWORD");
    expect(error.message).toMatch(/at least 3 needed/);
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.issues.every((issue) => issue.path === "password")).toBe(true);
    expect(error.issues.map((i) => i.message).join(" ")).toMatch(/common/i);
  });

  it("accepts a few unrelated words", async () => {
    await expect(policy.assert("Tulip-Kettle-Orbit-42", zebulon)).resolves.toBeUndefined();
    expect(await policy.judge("Tulip-Kettle-Orbit-42", zebulon)).toMatchObject({
      score: 4,
      acceptable: true,
    });
  });

  it("refuses the owner's names, username and email, also in l33t, mixed case or glued together", async () => {
    for (const password of [
      "zebulonquartermaine",
      "Z3bul0nQuart3rmain3!",
      "Zebulon-Quartermaine-7",
      "zquarter2024!",
      "ZEBULON.QUARTERMAINE@example.com",
    ]) {
      const error = await domainErrorOf(policy.assert(password, zebulon));
      expect(error.code, password).toBe("WEAK_PASSWORD");
    }
    // The same words are fine for somebody else: it is the owner's words that count for nothing.
    await expect(
      policy.assert("Zebulon-Quartermaine-7", { username: "alice", email: "alice@example.com" }),
    ).resolves.toBeUndefined();
  });

  it("takes the candidate's extra words too (what the strength route's caller knows)", async () => {
    const plain = await policy.judge("Marigold-Sprocket-9", {});
    const known = await policy.judge("Marigold-Sprocket-9", {}, ["marigold", "sprocket"]);
    expect(plain.acceptable).toBe(true);
    expect(known.acceptable).toBe(false);
  });

  it("judges the NFKC form: full-width letters are no stronger than ASCII ones", async () => {
    const fullWidth = "Ｐａｓｓｗｏｒｄ１！";
    expect((await domainErrorOf(policy.assert(fullWidth, zebulon))).code).toBe("WEAK_PASSWORD");
  });

  it("follows the configured minimum score", async () => {
    const lenient = createPasswordPolicy({ minScore: 1, estimator: inProcessEstimator() });
    await expect(lenient.assert("Password1!", zebulon)).resolves.toBeUndefined();
    const strict = createPasswordPolicy({ minScore: 4, estimator: inProcessEstimator() });
    expect((await strict.judge("x7#Lq!vR2p", {})).acceptable).toBe(false);
  });

  it("lists the owner's words: username, email, its local part and pieces, names", () => {
    expect(ownerWords(zebulon).sort()).toEqual(
      [
        "zquarter",
        "zebulon.quartermaine@example.com",
        "zebulon.quartermaine",
        "zebulon",
        "quartermaine",
      ].sort(),
    );
    expect(withoutOwnerWords("Z3bul0n-Quart3rmain3!", ["zebulon", "quartermaine"])).toBe("-!");
  });

  it("refuses the owner's words reversed too (a close variant zxcvbn alone rates strong when glued)", async () => {
    for (const password of [
      "nolubezeniamretrauqretrauqz",
      "Nolubez-Eniamretrauq-7",
      "Retrauqz-Nolubez-Quartermaine",
    ]) {
      const error = await domainErrorOf(policy.assert(password, zebulon));
      expect(error.code, password).toBe("WEAK_PASSWORD");
    }
    expect(withoutOwnerWords("Nolubez-Eniamretrauq-7", ["zebulon", "quartermaine"])).toBe("--7");
  });

  it("cuts the owner's words even when a character's lower case is longer (İ): no bypass by one letter", async () => {
    expect(withoutOwnerWords("İZebulonQuartermaine", ["zebulon", "quartermaine"])).toBe("İ");
    const glued = "İZebulonQuartermaineZquarterZebulonQuartermaine";
    expect((await domainErrorOf(policy.assert(glued, zebulon))).code).toBe("WEAK_PASSWORD");
  });
});

describe("new password schema", () => {
  it("counts the length of the NFKC form: 8 ligatures that expand past 128 characters are refused", () => {
    const ligatures = "\uFDFA".repeat(8); // each is 18 characters in NFKC
    expect(ligatures.length).toBe(8);
    expect(passwordSchema.safeParse(ligatures).success).toBe(false);
    expect(passwordSchema.safeParse("a".repeat(128)).success).toBe(true);
    expect(passwordSchema.safeParse("a".repeat(129)).success).toBe(false);
  });

  it("the strength route bounds the NFKC form too (password and user inputs)", () => {
    const ligatures = "\uFDFA".repeat(8);
    expect(passwordStrengthInputSchema.safeParse({ password: ligatures }).success).toBe(false);
    expect(
      passwordStrengthInputSchema.safeParse({
        password: "Tulip-Kettle-Orbit-42",
        user_inputs: ["\uFDFA".repeat(20)],
      }).success,
    ).toBe(false);
    expect(
      passwordStrengthInputSchema.safeParse({ password: "a".repeat(128), user_inputs: ["b".repeat(254)] })
        .success,
    ).toBe(true);
  });
});

describe("strength estimator (worker thread)", () => {
  const estimator = createStrengthEstimator({ queueLimit: 2 });
  afterAll(() => estimator.close());

  it("answers what zxcvbn answers in-process", async () => {
    const inputs = ["zebulon", "quartermaine"];
    for (const password of ["Password1!", "Tulip-Kettle-Orbit-42", "zebulon1990"]) {
      expect(await estimator.estimate(password, inputs)).toEqual(
        await inProcessEstimator().estimate(password, inputs),
      );
    }
  });

  it("starts its thread (about 50 MB) with the first check and stops it when idle; the next check starts it again", async () => {
    const idle = createStrengthEstimator({ queueLimit: 2, idleMs: 100 });
    try {
      expect(idle.running()).toBe(false);
      const first = await idle.estimate("Tulip-Kettle-Orbit-42", []);
      expect(idle.running()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(idle.running()).toBe(false);
      expect(await idle.estimate("Tulip-Kettle-Orbit-42", [])).toEqual(first);
    } finally {
      await idle.close();
    }
  });

  it("refuses with SERVICE_BUSY past its queue limit instead of queuing without bound", async () => {
    const calls = Array.from({ length: 4 }, (_, i) => estimator.estimate(`Candidate-${i}-x`, []));
    const outcomes = await Promise.allSettled(calls);
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect(refused.length).toBe(2);
    for (const r of refused)
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "SERVICE_BUSY" });
  });
});
