/// A receiver's weights: one per client it mixes (itself included), summing to one.
public struct MixingRow: Sendable, Equatable {
  /// (client, weight) pairs sorted by client.
  public let entries: [(client: Int, weight: Double)]

  public init(_ entries: [(client: Int, weight: Double)]) {
    self.entries = entries.sorted { $0.client < $1.client }
  }

  public func weight(of client: Int) -> Double { entries.first { $0.client == client }?.weight ?? 0 }

  public static func == (lhs: MixingRow, rhs: MixingRow) -> Bool {
    lhs.entries.map(\.client) == rhs.entries.map(\.client) && lhs.entries.map(\.weight) == rhs.entries.map(\.weight)
  }
}

/// Kinds of evidence about the senders' models that a receiver can ask for.
public struct EvidenceKinds: OptionSet, Sendable, Hashable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }

  /// The loss of every received model (and the receiver's own) on the receiver's validation split.
  public static let validationLoss = EvidenceKinds(rawValue: 1)
  /// Every model's next-token predictions on the shared public reference set, sent with its values.
  public static let predictions = EvidenceKinds(rawValue: 2)
}

/// The evidence a receiver asks for, and how it is measured.
public struct EvidenceRequest: Sendable, Hashable {
  public var kinds: EvidenceKinds
  /// Logits kept per position (the rest set to 0) for prediction similarity.
  public var predictionTopK: Int
  /// Reference windows (of the task's sequence length) every model predicts on.
  public var referenceWindows: Int

  public init(kinds: EvidenceKinds, predictionTopK: Int = 100, referenceWindows: Int = 4) {
    self.kinds = kinds
    self.predictionTopK = predictionTopK
    self.referenceWindows = referenceWindows
  }

  public static let none = EvidenceRequest(kinds: [])
}

/// What the task measured about the models a receiver holds, keyed by client id.
public struct PeerEvidence: Sendable, Equatable {
  /// Mean next-token loss (nats) of each model on the receiver's fixed validation windows.
  public var validationLoss: [Int: Double]
  /// D_ij: mean over reference positions of the L1 distance between the receiver's and client
  /// j's top-k-sparsified logits (0 for the receiver itself).
  public var predictionDistance: [Int: Double]

  public init(validationLoss: [Int: Double] = [:], predictionDistance: [Int: Double] = [:]) {
    self.validationLoss = validationLoss
    self.predictionDistance = predictionDistance
  }
}

/// Everything a neighbour-side aggregator may use to choose its mixing weights.
public struct MixingInput: Sendable {
  public let receiver: Int
  /// The receiver's own values.
  public let own: [Float]
  /// What arrived from the neighbours this round, sorted by client id.
  public let received: [Contribution]
  /// The topology's weights for the receiver and the senders that arrived (the receiver's
  /// weight absorbs the missing ones), summing to one.
  public let topology: MixingRow
  public let evidence: PeerEvidence
  public let context: AggregationContext

  public init(
    receiver: Int, own: [Float], received: [Contribution], topology: MixingRow, evidence: PeerEvidence, context: AggregationContext
  ) {
    self.receiver = receiver
    self.own = own
    self.received = received
    self.topology = topology
    self.evidence = evidence
    self.context = context
  }
}

/// The differential-privacy mechanism an aggregator relies on.
public enum PrivacyMechanism: String, Sendable, Equatable, CaseIterable {
  /// No noise.
  case none
  /// Each client clips its update and adds independent Gaussian noise (local DP).
  case local
  /// Each client clips and adds private noise plus pairwise-cancelling correlated noise with each
  /// neighbour, from per-edge secrets (Decor).
  case correlated
  /// Clients clip; a trusted receiver adds Gaussian noise to the sum (central DP).
  case central
}
