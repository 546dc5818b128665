import COpenSSL

/// AES-256-CTR fetched once: OpenSSL 3 looks an implicitly named cipher up in its provider tables
/// on every initialisation, which cost more than the keystream itself for short ones. A fetched
/// cipher is immutable and may be shared by threads.
nonisolated(unsafe) private let aes256CTRCipher: OpaquePointer? = EVP_CIPHER_fetch(nil, "AES-256-CTR", nil)

/// AES-256-CTR keystreams through OpenSSL's EVP interface.
public enum Keystream {
  /// `count` keystream bytes for `key` (32 bytes) from the 16-byte initial counter block `iv`:
  /// the encryption of zeros.
  public static func aes256CTR(key: [UInt8], iv: [UInt8], count: Int) throws(OpenSSLError) -> [UInt8] {
    guard key.count == 32, iv.count == 16 else { throw OpenSSLError("AES-256-CTR with a \(key.count)-byte key and a \(iv.count)-byte IV") }
    guard let context = EVP_CIPHER_CTX_new() else { throw OpenSSLError("cipher context") }
    defer { EVP_CIPHER_CTX_free(context) }
    guard let cipher = aes256CTRCipher, EVP_EncryptInit_ex2(context, cipher, key, iv, nil) == 1 else {
      throw OpenSSLError("AES-256-CTR setup")
    }
    let zeros = [UInt8](repeating: 0, count: count)
    var output = [UInt8](repeating: 0, count: count + 16)
    var written: Int32 = 0
    guard EVP_EncryptUpdate(context, &output, &written, zeros, Int32(count)) == 1, Int(written) == count else {
      throw OpenSSLError("AES-256-CTR keystream")
    }
    return Array(output.prefix(count))
  }

  /// The initial counter block for a round: the round as 8 big-endian bytes, then 8 zero bytes
  /// for the block counter (2⁶⁴ blocks per round).
  public static func roundIV(_ round: Int) -> [UInt8] {
    withUnsafeBytes(of: UInt64(round).bigEndian) { Array($0) } + [UInt8](repeating: 0, count: 8)
  }

  /// `count` standard normal draws from the keystream (pairs of 64-bit words → 53-bit uniforms in
  /// (0, 1] → Box–Muller), identical wherever the same key and round are used. With 53-bit
  /// uniforms the largest radius is √(2·ln 2⁵³) ≈ 8.6σ (32-bit uniforms cut the tails near 6.7σ).
  public static func gaussians(key: [UInt8], round: Int, count: Int) throws(OpenSSLError) -> [Double] {
    let pairs = (count + 1) / 2
    let bytes = try aes256CTR(key: key, iv: roundIV(round), count: pairs * 16)
    var result: [Double] = []
    result.reserveCapacity(pairs * 2)
    bytes.withUnsafeBufferPointer { buffer in
      for p in 0..<pairs {
        let u1 = uniform(buffer, at: p * 16), u2 = uniform(buffer, at: p * 16 + 8)
        let radius = (-2 * _log(u1)).squareRoot()
        result.append(radius * _cos(2 * Double.pi * u2))
        result.append(radius * _sin(2 * Double.pi * u2))
      }
    }
    return Array(result.prefix(count))
  }

  /// The uniform in (0, 1] of 8 big-endian keystream bytes: 1 − w/2⁵³ for their top 53 bits w,
  /// exact in Float64 and never 0, so the logarithm is always finite.
  static func uniform(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Double {
    var word: UInt64 = 0
    for k in 0..<8 { word = word << 8 | UInt64(bytes[offset + k]) }
    return 1 - Double(word >> 11) * 0x1p-53
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

func _log(_ x: Double) -> Double { log(x) }
func _sin(_ x: Double) -> Double { sin(x) }
func _cos(_ x: Double) -> Double { cos(x) }
