/// One document: a token sequence and the index of the domain it belongs to.
///
/// Tokens are byte-level: byte b of a text is token b (0...255). Synthetic sources may use other
/// ids (see `MarkovAlphabet`); the module never interprets them.
public struct Document: Sendable, Hashable {
  /// The token ids.
  public var tokens: [Int32]
  /// The domain index, in `0..<corpus.domainCount`.
  public var domain: Int

  public init(tokens: [Int32], domain: Int) {
    self.tokens = tokens
    self.domain = domain
  }

  /// A document of the UTF-8 bytes of `text`.
  public init(text: String, domain: Int) {
    self.init(bytes: Array(text.utf8), domain: domain)
  }

  /// A document of raw bytes, byte b as token b.
  public init(bytes: some Collection<UInt8>, domain: Int) {
    self.tokens = bytes.map { Int32($0) }
    self.domain = domain
  }

  /// The tokens as text, when they are all bytes (nil otherwise); invalid UTF-8 is repaired.
  public var text: String? {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(tokens.count)
    for token in tokens {
      guard let byte = UInt8(exactly: token) else { return nil }
      bytes.append(byte)
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

/// Token ids of the byte-level tokenizer (`Learning`'s `ByteTokenizer`): byte b is id b, then
/// BOS = 256, EOS = 257, PAD = 258. Repeated here so that `Data` needs no model module.
public enum ByteTokens {
  public static let beginOfSequence: Int32 = 256
  public static let endOfSequence: Int32 = 257
  public static let padding: Int32 = 258
}
