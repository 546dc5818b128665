extension Corpus {
  /// The tokens of the documents at `indices`, in that order, joined into one sequence.
  ///
  /// - Parameters:
  ///   - separator: inserted between consecutive documents; nil joins them directly. The default
  ///     is the byte tokenizer's end-of-sequence id 257.
  ///   - terminated: also append `separator` after the last document (so every document ends
  ///     with it, as language-model training streams usually do).
  /// - Precondition: every index is in `0..<documentCount` (indices come from a `Partition` or
  ///   `FederatedSplits` built on this corpus).
  public func concatenatedTokens(
    _ indices: [Int], separator: Int32? = ByteTokens.endOfSequence, terminated: Bool = false
  ) -> [Int32] {
    var total = 0
    for index in indices {
      precondition(documents.indices.contains(index), "document index \(index) out of range")
      total += documents[index].tokens.count
    }
    var tokens: [Int32] = []
    tokens.reserveCapacity(total + (separator == nil ? 0 : indices.count))
    for (position, index) in indices.enumerated() {
      if position > 0, let separator { tokens.append(separator) }
      tokens.append(contentsOf: documents[index].tokens)
    }
    if terminated, !indices.isEmpty, let separator { tokens.append(separator) }
    return tokens
  }

  /// One part of a client's split as a single token sequence (see `concatenatedTokens`).
  ///
  /// - Precondition: `client` is in `0..<splits.clients.count` and `splits` was built on this
  ///   corpus.
  public func tokens(
    of part: SplitPart, client: Int, in splits: FederatedSplits,
    separator: Int32? = ByteTokens.endOfSequence, terminated: Bool = false
  ) -> [Int32] {
    concatenatedTokens(splits.clients[client][part], separator: separator, terminated: terminated)
  }
}
