/// How the symbols 0..<V of a synthetic Markov chain become token ids.
public enum MarkovAlphabet: String, Sendable, Equatable, CaseIterable {
  /// Symbol s is the byte of the lowercase letter 'a' + s (97 + s); V ≤ 26. Documents read as text.
  case letters
  /// Symbol s is the printable ASCII byte 32 + s (space to '~'); V ≤ 95.
  case printable
  /// Symbol s is token s; any V. Ids above 255 are not bytes and need a larger vocabulary.
  case identity

  /// The largest vocabulary the alphabet can encode.
  public var capacity: Int {
    switch self {
    case .letters: return 26
    case .printable: return 95
    case .identity: return Int(Int32.max)
    }
  }

  /// The first alphabet (letters, then printable, then identity) that fits `vocabularySize`.
  public static func smallest(for vocabularySize: Int) -> MarkovAlphabet {
    allCases.first { vocabularySize <= $0.capacity } ?? .identity
  }

  /// The token id of `symbol` (which must be below `capacity`).
  @inlinable
  public func token(for symbol: Int) -> Int32 {
    switch self {
    case .letters: return Int32(97 + symbol)
    case .printable: return Int32(32 + symbol)
    case .identity: return Int32(symbol)
    }
  }

  /// The symbol of `token`, or nil when the token is not one of the first `vocabularySize` symbols.
  @inlinable
  public func symbol(for token: Int32, vocabularySize: Int) -> Int? {
    let offset: Int32
    switch self {
    case .letters: offset = 97
    case .printable: offset = 32
    case .identity: offset = 0
    }
    let symbol = Int(token) - Int(offset)
    return symbol >= 0 && symbol < vocabularySize ? symbol : nil
  }
}
