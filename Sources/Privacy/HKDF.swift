import COpenSSL

/// HKDF-SHA256 (RFC 5869) through OpenSSL's EVP_PKEY_HKDF, whose control functions copy their
/// arguments (so no pointer outlives a Swift call).
public enum HKDF {
  /// Derives `length` bytes (at most 255 · 32) from input keying material, salt and info.
  public static func sha256(
    inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], length: Int
  ) throws(OpenSSLError) -> [UInt8] {
    guard length > 0 && length <= 255 * 32 else { throw OpenSSLError("HKDF output of \(length) bytes (expected 1...8160)") }
    guard let raw = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nil) else { throw OpenSSLError("HKDF context") }
    let context = PKeyContext(raw)
    guard EVP_PKEY_derive_init(context.pointer) == 1,
      EVP_PKEY_CTX_set_hkdf_md(context.pointer, EVP_sha256()) == 1,
      EVP_PKEY_CTX_set1_hkdf_salt(context.pointer, salt, Int32(salt.count)) == 1,
      EVP_PKEY_CTX_set1_hkdf_key(context.pointer, inputKeyMaterial, Int32(inputKeyMaterial.count)) == 1,
      EVP_PKEY_CTX_add1_hkdf_info(context.pointer, info, Int32(info.count)) == 1
    else { throw OpenSSLError("HKDF-SHA256 setup") }
    var output = [UInt8](repeating: 0, count: length)
    var outputLength = length
    guard EVP_PKEY_derive(context.pointer, &output, &outputLength) == 1, outputLength == length else {
      throw OpenSSLError("HKDF-SHA256 derivation")
    }
    return output
  }
}
