import Randomness

extension StreamPurpose {
  /// Transition tables of synthetic Markov domains (client = domain).
  public static let markovChain = StreamPurpose("markov-chain")
  /// Synthetic Markov documents (client = domain, step = document index).
  public static let markovText = StreamPurpose("markov-text")
  /// Monte-Carlo estimates over synthetic Markov documents (kept apart from the corpus streams).
  public static let markovEstimate = StreamPurpose("markov-estimate")
  /// Assignment of documents to clients.
  public static let partition = StreamPurpose("partition")
  /// Held-out sets (public reference, out-of-distribution pool) and per-client splits.
  public static let dataSplit = StreamPurpose("data-split")
}
