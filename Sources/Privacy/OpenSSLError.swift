import COpenSSL

/// A failed OpenSSL call, with the operation and OpenSSL's own error queue.
public struct OpenSSLError: Error, Equatable, CustomStringConvertible {
  /// What FedSim was doing (e.g. "X25519 key generation").
  public let operation: String
  /// OpenSSL's error strings, oldest first.
  public let details: [String]

  /// Captures (and clears) the thread's OpenSSL error queue.
  init(_ operation: String) {
    self.operation = operation
    var messages: [String] = []
    while true {
      let code = ERR_get_error()
      if code == 0 { break }
      var buffer = [CChar](repeating: 0, count: 256)
      ERR_error_string_n(code, &buffer, buffer.count)
      messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    details = messages
  }

  public var description: String {
    details.isEmpty ? "OpenSSL: \(operation) failed" : "OpenSSL: \(operation) failed: \(details.joined(separator: "; "))"
  }
}

/// Owns an `EVP_PKEY` (imported as an opaque pointer) and frees it.
final class PKeyHandle: @unchecked Sendable {
  // @unchecked Sendable: the key is immutable after creation; OpenSSL allows concurrent reads.
  let pointer: OpaquePointer
  init(_ pointer: OpaquePointer) { self.pointer = pointer }
  deinit { EVP_PKEY_free(pointer) }
}

/// Owns an `EVP_PKEY_CTX` for the duration of one operation.
final class PKeyContext {
  let pointer: OpaquePointer
  init(_ pointer: OpaquePointer) { self.pointer = pointer }
  deinit { EVP_PKEY_CTX_free(pointer) }
}
