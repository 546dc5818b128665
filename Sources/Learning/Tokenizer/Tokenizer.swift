/// Maps text to token ids and back. FedSim's models see token ids only, so any tokenizer with a
/// vocabulary that fits the model can be plugged in.
public protocol Tokenizer: Sendable {
  /// Number of distinct ids, special ids included.
  var vocabularySize: Int { get }
  var beginOfSequence: Int32 { get }
  var endOfSequence: Int32 { get }
  var padding: Int32 { get }
  func encode(_ bytes: some Sequence<UInt8>) -> [Int32]
  /// Decodes ids back to bytes; special ids are dropped.
  func decode(_ ids: some Sequence<Int32>) -> [UInt8]
}

/// Byte-level tokenizer: byte b is id b, then BOS = 256, EOS = 257, PAD = 258.
public struct ByteTokenizer: Tokenizer {
  public static let vocabularySize = 259

  public init() {}

  public var vocabularySize: Int { Self.vocabularySize }
  public var beginOfSequence: Int32 { 256 }
  public var endOfSequence: Int32 { 257 }
  public var padding: Int32 { 258 }

  public func encode(_ bytes: some Sequence<UInt8>) -> [Int32] { bytes.map { Int32($0) } }

  public func decode(_ ids: some Sequence<Int32>) -> [UInt8] {
    ids.compactMap { (0...255).contains($0) ? UInt8($0) : nil }
  }
}
