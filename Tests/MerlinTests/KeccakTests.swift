import XCTest
import CLibCrypto
import SystemCrypto
@testable import Merlin

/// A minimal sponge over our Keccak-f[1600], used only to compare the permutation with OpenSSL's
/// SHA-3 and SHAKE (FIPS 202): pad10*1 with the domain bits 0x06 (SHA-3) or 0x1F (SHAKE).
private func sponge(rate: Int, domain: UInt8, input: [UInt8], outputLength: Int) -> [UInt8] {
    var st = KeccakState()
    var pos = 0
    for b in input {
        st.xorByte(pos, b); pos += 1
        if pos == rate { st.permute(); pos = 0 }
    }
    st.xorByte(pos, domain)
    st.xorByte(rate - 1, 0x80)
    st.permute()
    var out: [UInt8] = []
    pos = 0
    while out.count < outputLength {
        if pos == rate { st.permute(); pos = 0 }
        out.append(st[byte: pos]); pos += 1
    }
    return out
}

private func openssl(_ md: OpaquePointer?, _ input: [UInt8], _ outLen: Int, xof: Bool) -> [UInt8] {
    let ctx = EVP_MD_CTX_new()
    defer { EVP_MD_CTX_free(ctx) }
    XCTAssertEqual(EVP_DigestInit_ex(ctx, md, nil), 1)
    input.withUnsafeBytes { _ = EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
    var out = [UInt8](repeating: 0, count: outLen)
    if xof {
        XCTAssertEqual(EVP_DigestFinalXOF(ctx, &out, outLen), 1)
    } else {
        var l: UInt32 = 0
        XCTAssertEqual(EVP_DigestFinal_ex(ctx, &out, &l), 1)
        XCTAssertEqual(Int(l), outLen)
    }
    return out
}

final class KeccakTests: XCTestCase {
    /// Input lengths around every rate boundary (SHAKE128 168, SHA3-256 136, SHAKE256 136,
    /// SHA3-512 72) plus random lengths, random contents; outputs longer than a block for XOFs.
    func testSpongesMatchOpenSSL() {
        var lengths = Array(0...300)
        for _ in 0..<40 { lengths.append(Int.random(in: 301...2000)) }
        for len in lengths {
            let input = SecureRandom.bytes(len)
            XCTAssertEqual(sponge(rate: 136, domain: 0x06, input: input, outputLength: 32),
                           openssl(EVP_sha3_256(), input, 32, xof: false), "SHA3-256 len \(len)")
            XCTAssertEqual(sponge(rate: 72, domain: 0x06, input: input, outputLength: 64),
                           openssl(EVP_sha3_512(), input, 64, xof: false), "SHA3-512 len \(len)")
            let outLen = 1 + (len * 7) % 400
            XCTAssertEqual(sponge(rate: 168, domain: 0x1F, input: input, outputLength: outLen),
                           openssl(EVP_shake128(), input, outLen, xof: true), "SHAKE128 len \(len)")
            XCTAssertEqual(sponge(rate: 136, domain: 0x1F, input: input, outputLength: outLen),
                           openssl(EVP_shake256(), input, outLen, xof: true), "SHAKE256 len \(len)")
        }
    }

    /// Also against SystemCrypto's wrappers (the functions the rest of the project uses).
    func testAgainstSystemCryptoDigest() {
        for len in [0, 1, 71, 72, 73, 135, 136, 137, 1000] {
            let input = SecureRandom.bytes(len)
            XCTAssertEqual(sponge(rate: 72, domain: 0x06, input: input, outputLength: 64),
                           Digest.sha3_512.hash(input))
            XCTAssertEqual(sponge(rate: 136, domain: 0x1F, input: input, outputLength: 300),
                           Digest.shake256.hash(input, outputLength: 300))
        }
    }

    /// FIPS 202 known answer: SHA3-256("") (independent of OpenSSL).
    func testSHA3EmptyKnownAnswer() {
        let h = sponge(rate: 136, domain: 0x06, input: [], outputLength: 32)
        XCTAssertEqual(hex(h), "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a")
    }
}

func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
func unhex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.makeIterator()
    while let h = it.next(), let l = it.next() { out.append(UInt8(String([h, l]), radix: 16) ?? 0) }
    return out
}
