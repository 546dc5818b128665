/// Where a client's validation and test documents come from.
public enum SplitTarget: String, Sendable, Equatable, CaseIterable {
  /// From the client's own documents: its own distribution.
  case inDistribution = "in-distribution"
  /// From a pool held out before partitioning with equally many documents of every domain (a
  /// uniform mixture of all domains), shared by all clients.
  case outOfDistribution = "out-of-distribution"
}

/// How a corpus is divided into a public reference set and per-client train/validation/test
/// sets (see `FederatedSplits`).
public struct SplitConfiguration: Sendable, Equatable {
  /// Fractions of the documents left after the public set. In-distribution: of each client's
  /// documents. Out-of-distribution: validation and test are fractions of the whole (the held-out
  /// pool), train a fraction of it too (each client keeps train / (1 − validation − test) of its
  /// documents). A sum below 1 leaves the rest unused; the sum must not exceed 1.
  public var trainFraction: Double
  public var validationFraction: Double
  public var testFraction: Double
  public var target: SplitTarget
  /// Fraction of the corpus held out, before anything else, as a public reference set shared by
  /// everybody and owned by no client; drawn stratified by domain (proportional allocation).
  public var publicFraction: Double

  public init(
    trainFraction: Double = 0.8, validationFraction: Double = 0.1, testFraction: Double = 0.1,
    target: SplitTarget = .inDistribution, publicFraction: Double = 0
  ) {
    self.trainFraction = trainFraction
    self.validationFraction = validationFraction
    self.testFraction = testFraction
    self.target = target
    self.publicFraction = publicFraction
  }

  /// - Throws: `.invalidParameter` for a fraction outside [0, 1] (train must be positive, public
  ///   below 1) or train + validation + test above 1.
  public func validate() throws(DataError) {
    for (name, value) in [
      ("trainFraction", trainFraction), ("validationFraction", validationFraction),
      ("testFraction", testFraction), ("publicFraction", publicFraction),
    ] {
      try DataError.require(
        value >= 0 && value <= 1, "splits", name, value, expected: "a fraction in [0, 1]")
    }
    try DataError.require(trainFraction > 0, "splits", "trainFraction", trainFraction, expected: "above 0")
    try DataError.require(publicFraction < 1, "splits", "publicFraction", publicFraction, expected: "below 1")
    let sum = trainFraction + validationFraction + testFraction
    try DataError.require(
      sum <= 1 + 1e-9, "splits", "trainFraction + validationFraction + testFraction", sum,
      expected: "at most 1")
  }
}

/// One of the three parts of a client's data.
public enum SplitPart: String, Sendable, Equatable, CaseIterable {
  case train, validation, test
}

/// The documents of one client, as corpus indices in increasing order. The three parts are
/// disjoint. Out-of-distribution, validation and test are the shared held-out sets.
public struct ClientSplit: Sendable, Equatable {
  public var train: [Int]
  public var validation: [Int]
  public var test: [Int]

  public init(train: [Int], validation: [Int], test: [Int]) {
    self.train = train
    self.validation = validation
    self.test = test
  }

  public subscript(part: SplitPart) -> [Int] {
    switch part {
    case .train: return train
    case .validation: return validation
    case .test: return test
    }
  }
}
