//! Strict base64url decoding (RFC 7515 §2 and Appendix C; RFC 4648 §5).
//!
//! Only the canonical encoding is accepted: the URL-safe alphabet, no padding, no whitespace,
//! and zero bits after the last full byte. Lenient decoders let one token have many spellings,
//! which breaks token deny-lists and caches keyed on the token string, and hides forged or
//! mangled input. Key files get the same strictness: RFC 7517 requires base64url there too, and
//! an IdP that pads its keys is better told so at load time than guessed at.

/// Why a string is not canonical base64url. The texts end up in log lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base64Error {
    Padding,
    StandardAlphabet,
    Whitespace,
    InvalidCharacter,
    Length,
    TrailingBits,
}

impl Base64Error {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Base64Error::Padding => "padding \"=\" is not allowed",
            Base64Error::StandardAlphabet => "\"+\" and \"/\" are not in the base64url alphabet",
            Base64Error::Whitespace => "whitespace is not allowed",
            Base64Error::InvalidCharacter => "invalid character",
            Base64Error::Length => "invalid length",
            Base64Error::TrailingBits => "non-zero trailing bits",
        }
    }
}

/// Marks bytes outside the alphabet in [`DECODE`].
const INVALID: u8 = 0xff;

/// Maps an input byte to its 6-bit value, or [`INVALID`].
const DECODE: [u8; 256] = {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The sextet of a character at position `i` of a 4-character group, already shifted into
/// place in the group's 24 bits; [`BAD`] for a character outside the alphabet. One lookup and
/// one OR a character, with no shift.
const SHIFTED: [[u32; 256]; 4] = {
    let mut tables = [[BAD; 256]; 4];
    let mut b = 0;
    while b < 256 {
        if DECODE[b] != INVALID {
            let v = DECODE[b] as u32;
            tables[0][b] = v << 18;
            tables[1][b] = v << 12;
            tables[2][b] = v << 6;
            tables[3][b] = v;
        }
        b += 1;
    }
    tables
};

/// Set in [`SHIFTED`] for bytes outside the alphabet: above the 24 bits of a group.
const BAD: u32 = 1 << 31;

/// The 24 bits of 4 characters, with [`BAD`] set if one of them is not in the alphabet.
fn group(chars: &[u8]) -> u32 {
    chars.iter().zip(&SHIFTED).fold(0, |acc, (&b, table)| acc | table[usize::from(b)])
}

fn sextet(b: u8) -> Result<u32, Base64Error> {
    match DECODE[usize::from(b)] {
        INVALID => Err(match b {
            b'=' => Base64Error::Padding,
            b'+' | b'/' => Base64Error::StandardAlphabet,
            b' ' | b'\t' | b'\r' | b'\n' => Base64Error::Whitespace,
            _ => Base64Error::InvalidCharacter,
        }),
        v => Ok(u32::from(v)),
    }
}

/// Decodes canonical, unpadded base64url. The empty string decodes to no bytes; callers that
/// need content check for emptiness themselves.
pub(crate) fn decode(input: &[u8]) -> Result<Vec<u8>, Base64Error> {
    // One pass: every 8 characters become 6 bytes while the groups are OR-ed together into
    // `seen`, whose `BAD` bit tells whether a character was outside the alphabet. A character
    // is diagnosed before the length, as "padding is not allowed" says more about "YQ==" than
    // "invalid length" would; only a bad input is scanned again, for the first bad character.
    let mut seen = 0;
    // Room for the 1 or 2 bytes of a partial last chunk too, so they never reallocate.
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let mut octets = input.chunks_exact(8);
    for chunk in &mut octets {
        let (high, low) = (group(&chunk[..4]), group(&chunk[4..]));
        seen |= high | low;
        let bits = (u64::from(high) << 24) | u64::from(low);
        out.extend_from_slice(&bits.to_be_bytes()[2..]);
    }
    let rest = octets.remainder();
    let (quad, tail) = rest.split_at(if rest.len() >= 4 { 4 } else { 0 });
    let quad = group(quad);
    // The tail's characters as the first ones of a group: 12 or 18 bits at the top.
    let tail_bits = group(tail);
    seen |= quad | tail_bits;
    if seen & BAD != 0 {
        let first_bad = input.iter().find_map(|&b| sextet(b).err());
        return Err(first_bad.unwrap_or(Base64Error::InvalidCharacter));
    }
    // One leftover character carries only 6 bits, not a whole byte: never valid.
    if input.len() % 4 == 1 {
        return Err(Base64Error::Length);
    }
    if rest.len() >= 4 {
        out.extend_from_slice(&quad.to_be_bytes()[1..]);
    }
    match tail.len() {
        0 => {}
        // 12 bits: one byte plus 4 bits that must be zero.
        2 => {
            if tail_bits & 0x00_00_f0_00 != 0 {
                return Err(Base64Error::TrailingBits);
            }
            out.push((tail_bits >> 16) as u8);
        }
        // 18 bits: two bytes plus 2 bits that must be zero.
        3 => {
            if tail_bits & 0x00_00_00_c0 != 0 {
                return Err(Base64Error::TrailingBits);
            }
            out.extend_from_slice(&[(tail_bits >> 16) as u8, (tail_bits >> 8) as u8]);
        }
        _ => return Err(Base64Error::Length),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_rfc4648_vectors_without_padding() {
        let vectors: [(&[u8], &[u8]); 7] = [
            (b"", b""),
            (b"Zg", b"f"),
            (b"Zm8", b"fo"),
            (b"Zm9v", b"foo"),
            (b"Zm9vYg", b"foob"),
            (b"Zm9vYmE", b"fooba"),
            (b"Zm9vYmFy", b"foobar"),
        ];
        for (input, expected) in vectors {
            assert_eq!(decode(input).as_deref(), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn decodes_url_safe_alphabet() {
        assert_eq!(decode(b"-_8").unwrap(), vec![0xfb, 0xff]);
        assert_eq!(decode(b"AAEC").unwrap(), vec![0, 1, 2]);
    }

    #[test]
    fn refuses_padding() {
        assert_eq!(decode(b"Zg=="), Err(Base64Error::Padding));
        assert_eq!(decode(b"Zm8="), Err(Base64Error::Padding));
        assert_eq!(decode(b"Zm9v===="), Err(Base64Error::Padding));
    }

    #[test]
    fn refuses_standard_alphabet() {
        assert_eq!(decode(b"+/8"), Err(Base64Error::StandardAlphabet));
        assert_eq!(decode(b"ab/c"), Err(Base64Error::StandardAlphabet));
    }

    #[test]
    fn refuses_whitespace_and_other_bytes() {
        assert_eq!(decode(b"Zm9v Yg"), Err(Base64Error::Whitespace));
        assert_eq!(decode(b"Zm9v\nYg"), Err(Base64Error::Whitespace));
        assert_eq!(decode(b"Zm9v."), Err(Base64Error::InvalidCharacter));
        assert_eq!(decode(b"Zm\x009v"), Err(Base64Error::InvalidCharacter));
        assert_eq!(decode(b"Zm\xc3\xa9"), Err(Base64Error::InvalidCharacter));
    }

    #[test]
    fn the_first_bad_character_decides_the_error() {
        assert_eq!(decode(b"Zm9v=+"), Err(Base64Error::Padding));
        assert_eq!(decode(b"Zm9v+="), Err(Base64Error::StandardAlphabet));
        assert_eq!(decode(b"Zm9v Y="), Err(Base64Error::Whitespace));
        assert_eq!(decode(b"Zm9vY\xff"), Err(Base64Error::InvalidCharacter));
        // A bad character wins over a bad length, wherever it is.
        assert_eq!(decode(b"Zm9vYmF+Y"), Err(Base64Error::StandardAlphabet));
    }

    #[test]
    fn refuses_length_one_mod_four() {
        assert_eq!(decode(b"Z"), Err(Base64Error::Length));
        assert_eq!(decode(b"Zm9vY"), Err(Base64Error::Length));
    }

    #[test]
    fn refuses_non_canonical_trailing_bits() {
        // "Zh" and "Zg" both carry 'f' in their first 8 bits; only "Zg" is canonical.
        assert_eq!(decode(b"Zh"), Err(Base64Error::TrailingBits));
        assert_eq!(decode(b"Zm8"), Ok(b"fo".to_vec()));
        assert_eq!(decode(b"Zm9"), Err(Base64Error::TrailingBits));
        assert_eq!(decode(b"Zm-"), Err(Base64Error::TrailingBits));
        for c in b"BCDEFGHIJKLMNOP" {
            assert_eq!(decode(&[b'Z', *c]), Err(Base64Error::TrailingBits));
        }
    }

    #[test]
    fn all_bytes_round_trip_through_a_reference_encoder() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..data.len() {
            let encoded = reference_encode(&data[..len]);
            assert_eq!(decode(encoded.as_bytes()).unwrap(), &data[..len]);
        }
    }

    #[test]
    fn a_bad_character_is_found_wherever_it_is() {
        // Long enough for the 8-character chunks, the 4-character chunk and the tail.
        for len in [2, 3, 6, 7, 10, 11, 14, 15, 18] {
            for at in 0..len {
                let mut input = vec![b'A'; len];
                input[at] = b'*';
                assert_eq!(decode(&input), Err(Base64Error::InvalidCharacter), "{len} {at}");
                input[at] = b'=';
                assert_eq!(decode(&input), Err(Base64Error::Padding), "{len} {at}");
            }
        }
    }

    /// Independent encoder, written the simple way, to cross-check the decoder.
    fn reference_encode(data: &[u8]) -> String {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bits = String::new();
        for b in data {
            bits.push_str(&format!("{b:08b}"));
        }
        while bits.len() % 6 != 0 {
            bits.push('0');
        }
        bits.as_bytes()
            .chunks(6)
            .map(|c| {
                let v = u8::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap();
                char::from(alphabet[usize::from(v)])
            })
            .collect()
    }
}
