// A compact subset of Unicode's confusables table (UTS #39, "Unicode Security Mechanisms",
// confusables.txt, type MA): the Cyrillic, Greek and Latin look-alikes of Latin letters and
// digits that handle spoofing uses, mapped to their prototypes. Used by `skeleton` for the
// impersonation detector; nothing here is invented: each entry was taken from confusables.txt as
// reproduced in a public table generated from it (no network here to diff against unicode.org).
//
// Data: Copyright © 1991-2025 Unicode, Inc. Distributed under the Unicode License v3
// (https://www.unicode.org/license.txt); source https://www.unicode.org/Public/security/latest/confusables.txt.

/** source code point → prototype (hex in the comment as confusables.txt writes it). */
const TABLE: Record<string, string> = {
  // Latin and ASCII
  '0': 'O', // 0030 ; 004F  DIGIT ZERO → LATIN CAPITAL LETTER O
  '1': 'l', // 0031 ; 006C  DIGIT ONE → LATIN SMALL LETTER L
  I: 'l', // 0049 ; 006C  LATIN CAPITAL LETTER I → LATIN SMALL LETTER L
  '|': 'l', // 007C ; 006C  VERTICAL LINE → LATIN SMALL LETTER L
  'ı': 'i', // 0131 ; 0069  LATIN SMALL LETTER DOTLESS I → LATIN SMALL LETTER I
  'ɑ': 'a', // 0251 ; 0061  LATIN SMALL LETTER ALPHA → LATIN SMALL LETTER A
  'ɡ': 'g', // 0261 ; 0067  LATIN SMALL LETTER SCRIPT G → LATIN SMALL LETTER G
  'ɩ': 'i', // 0269 ; 0069  LATIN SMALL LETTER IOTA → LATIN SMALL LETTER I
  'ɪ': 'i', // 026A ; 0069  LATIN LETTER SMALL CAPITAL I → LATIN SMALL LETTER I
  'ɯ': 'w', // 026F ; 0077  LATIN SMALL LETTER TURNED M → LATIN SMALL LETTER W
  'ʋ': 'u', // 028B ; 0075  LATIN SMALL LETTER V WITH HOOK → LATIN SMALL LETTER U
  'ʏ': 'y', // 028F ; 0079  LATIN LETTER SMALL CAPITAL Y → LATIN SMALL LETTER Y
  // Greek
  'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'l', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O', 'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', // 0391–03A7
  'α': 'a', 'γ': 'y', 'ι': 'i', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'σ': 'o', 'υ': 'u', // 03B1–03C5
  'ϲ': 'c', 'ϳ': 'j', 'Ϲ': 'C', // 03F2 03F3 03F9
  // Cyrillic
  'Ѕ': 'S', 'І': 'l', 'Ј': 'J', 'А': 'A', 'В': 'B', 'Е': 'E', 'З': '3', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T', 'У': 'Y', 'Х': 'X', 'Ь': 'b', // 0405–042C
  'а': 'a', 'б': '6', 'г': 'r', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i', 'ј': 'j', 'ѡ': 'w', // 0430–0461
  'Ѵ': 'V', 'ѵ': 'v', 'Ү': 'Y', 'ү': 'y', 'һ': 'h', 'ҽ': 'e', 'Ӏ': 'l', 'ӏ': 'i', 'ԁ': 'd', 'Ԍ': 'G', 'ԛ': 'q', 'Ԝ': 'W', 'ԝ': 'w', // 0474–051D
};
/** Multi-character sequences (0072 006E ; 006D  rn → m); other sequences of confusables.txt are left out of this subset. */
const SEQUENCES: [RegExp, string][] = [[/rn/g, 'm']];

/**
 * The UTS #39 skeleton restricted to this table: NFD, each character replaced by its
 * prototype, NFD again. Two strings that look alike have the same skeleton.
 */
export function skeleton(s: string): string {
  let out = '';
  for (const ch of s.normalize('NFD')) out += TABLE[ch] ?? ch;
  for (const [re, to] of SEQUENCES) out = out.replace(re, to);
  return out.normalize('NFD');
}
