import Randomness

/// One direction of a link: latency, bandwidth and loss.
public struct LinkModel: Sendable, Equatable, Hashable, Codable {
  /// One-way latency in seconds.
  public var latency: Distribution
  /// Bandwidth in bytes per second.
  public var bandwidth: Distribution
  /// Probability that a message is lost.
  public var lossProbability: Double

  public init(latency: Distribution = .constant(0.05), bandwidth: Distribution = .constant(1.25e6), lossProbability: Double = 0) {
    self.latency = latency
    self.bandwidth = bandwidth
    self.lossProbability = lossProbability
  }

  public func validate(_ field: String) throws(SimulationError) {
    switch latency {
    case .constant(let value) where value == 0: break  // zero latency is allowed
    default: try latency.validate("\(field).latency")
    }
    try bandwidth.validate("\(field).bandwidth")
    if !(0..<1).contains(lossProbability) {
      throw .invalidParameter(field: "\(field).loss", value: "\(lossProbability)", expected: "a probability in [0, 1)")
    }
  }
}

/// The parameters of one concrete link, drawn once.
public struct LinkProfile: Sendable, Equatable {
  public let latency: Double
  public let bandwidth: Double
  public let lossProbability: Double

  /// latency + bytes / bandwidth.
  public func transferTime(bytes: Int) -> SimulatedTime { latency + Double(bytes) / bandwidth }
}

/// Client–server links (uplink, downlink) and peer-to-peer links for decentralized modes.
public struct NetworkModel: Sendable, Equatable, Hashable, Codable {
  public var uplink: LinkModel
  public var downlink: LinkModel
  public var peer: LinkModel

  public init(uplink: LinkModel = LinkModel(), downlink: LinkModel = LinkModel(bandwidth: .constant(5e6)), peer: LinkModel = LinkModel()) {
    self.uplink = uplink
    self.downlink = downlink
    self.peer = peer
  }

  public func validate() throws(SimulationError) {
    try uplink.validate("network.uplink")
    try downlink.validate("network.downlink")
    try peer.validate("network.peer")
  }

  func draw(_ model: LinkModel, index: Int, stream: inout RandomStream) -> LinkProfile {
    LinkProfile(
      latency: model.latency.sample(index: index, stream: &stream),
      bandwidth: model.bandwidth.sample(index: index, stream: &stream), lossProbability: model.lossProbability)
  }

  /// The client's uplink (to the server).
  public func uplink(client: Int, seed: UInt64) -> LinkProfile {
    var stream = RandomStream(seed: seed, purpose: .link, client: UInt32(truncatingIfNeeded: client), step: 1)
    return draw(uplink, index: client, stream: &stream)
  }

  /// The client's downlink (from the server).
  public func downlink(client: Int, seed: UInt64) -> LinkProfile {
    var stream = RandomStream(seed: seed, purpose: .link, client: UInt32(truncatingIfNeeded: client), step: 2)
    return draw(downlink, index: client, stream: &stream)
  }

  /// The link between two peers (the same in both directions).
  public func peerLink(_ a: Int, _ b: Int, seed: UInt64) -> LinkProfile {
    let (low, high) = (min(a, b), max(a, b))
    var stream = RandomStream(
      seed: seed, purpose: .link, client: UInt32(truncatingIfNeeded: low),
      round: UInt32(truncatingIfNeeded: high), step: 3)
    return draw(peer, index: low, stream: &stream)
  }

  /// Whether the `sequence`-th message from `sender` to `receiver` in `round` is lost.
  public static func isLost(_ link: LinkProfile, sender: Int, receiver: Int, round: Int, sequence: Int = 0, seed: UInt64) -> Bool {
    guard link.lossProbability > 0 else { return false }
    var stream = RandomStream(
      seed: seed ^ UInt64(truncatingIfNeeded: receiver &+ 1) &* 0x9E37_79B9_7F4A_7C15,
      purpose: .messageLoss, client: UInt32(truncatingIfNeeded: sender),
      round: UInt32(truncatingIfNeeded: round), step: UInt32(truncatingIfNeeded: sequence))
    return stream.nextDouble() < link.lossProbability
  }
}
