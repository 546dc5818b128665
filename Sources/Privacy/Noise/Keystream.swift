import COpenSSL

/// AES-256-CTR keystreams through OpenSSL's EVP interface.
public enum Keystream {
  /// `count` keystream bytes for `key` (32 bytes) from the 16-byte initial counter block `iv`:
  /// the encryption of zeros.
  public static func aes256CTR(key: [UInt8], iv: [UInt8], count: Int) throws(OpenSSLError) -> [UInt8] {
    guard key.count == 32, iv.count == 16 else { throw OpenSSLError("AES-256-CTR with a \(key.count)-byte key and a \(iv.count)-byte IV") }
    guard let context = EVP_CIPHER_CTX_new() else { throw OpenSSLError("cipher context") }
    defer { EVP_CIPHER_CTX_free(context) }
    guard EVP_EncryptInit_ex(context, EVP_aes_256_ctr(), nil, key, iv) == 1 else { throw OpenSSLError("AES-256-CTR setup") }
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

  /// `count` standard normal draws from the keystream (pairs of 32-bit words → uniforms in (0, 1)
  /// → Box–Muller), identical wherever the same key and round are used.
  public static func gaussians(key: [UInt8], round: Int, count: Int) throws(OpenSSLError) -> [Double] {
    let pairs = (count + 1) / 2
    let bytes = try aes256CTR(key: key, iv: roundIV(round), count: pairs * 8)
    var result: [Double] = []
    result.reserveCapacity(pairs * 2)
    for p in 0..<pairs {
      func word(_ k: Int) -> UInt32 {
        let o = p * 8 + k * 4
        return UInt32(bytes[o]) << 24 | UInt32(bytes[o + 1]) << 16 | UInt32(bytes[o + 2]) << 8 | UInt32(bytes[o + 3])
      }
      // (w + 0.5)/2³² lies in (0, 1): the logarithm is always finite.
      let u1 = (Double(word(0)) + 0.5) / 4_294_967_296, u2 = (Double(word(1)) + 0.5) / 4_294_967_296
      let radius = (-2 * _log(u1)).squareRoot()
      result.append(radius * _cos(2 * Double.pi * u2))
      result.append(radius * _sin(2 * Double.pi * u2))
    }
    return Array(result.prefix(count))
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
