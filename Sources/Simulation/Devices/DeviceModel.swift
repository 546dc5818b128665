import Randomness

/// When a client can take part.
public enum Availability: Sendable, Equatable, Hashable, Codable {
  /// Always online.
  case always
  /// Online for a round with this probability, independently per (client, round).
  case bernoulli(Double)
  /// On/off intervals of simulated time from a trace: client c is online during
  /// intervals[c mod count] (each a list of [start, end) pairs).
  case intervals([[ClosedInterval]])

  public struct ClosedInterval: Sendable, Equatable, Hashable, Codable {
    public let start: SimulatedTime
    public let end: SimulatedTime
    public init(start: SimulatedTime, end: SimulatedTime) {
      self.start = start
      self.end = end
    }
  }
}

/// One client's device, drawn once from the device model.
public struct DeviceProfile: Sendable, Equatable {
  /// Sustained FLOP/s for local training.
  public let flopsPerSecond: Double
  /// Memory available for training, in bytes (nil: unlimited).
  public let memoryBytes: Double?
}

/// Heterogeneous devices: compute speed, memory, availability and crashes.
public struct DeviceModel: Sendable, Equatable, Hashable, Codable {
  public var speed: Distribution
  public var memory: Distribution?
  public var availability: Availability
  /// Probability that a client crashes during a participation (it never reports).
  public var dropoutProbability: Double
  /// Clients that leave for good (churn), if any.
  public var departure: Departure?

  /// A fraction of the clients leaves for good, each at a time drawn uniformly in [0, within)
  /// simulated seconds: from then on it is never available, and work in progress is lost.
  public struct Departure: Sendable, Equatable, Hashable, Codable {
    public var fraction: Double
    public var within: SimulatedTime

    public init(fraction: Double, within: SimulatedTime) {
      self.fraction = fraction
      self.within = within
    }
  }

  public init(
    speed: Distribution = .constant(1e9), memory: Distribution? = nil, availability: Availability = .always,
    dropoutProbability: Double = 0, departure: Departure? = nil
  ) {
    self.speed = speed
    self.memory = memory
    self.availability = availability
    self.dropoutProbability = dropoutProbability
    self.departure = departure
  }

  /// When `client` leaves for good, or nil when it stays (deterministic in the seed).
  public func departureTime(client: Int, seed: UInt64) -> SimulatedTime? {
    guard let departure, departure.fraction > 0 else { return nil }
    var stream = RandomStream(seed: seed, purpose: StreamPurpose("departure"), client: UInt32(truncatingIfNeeded: client))
    guard stream.nextDouble() < departure.fraction else { return nil }
    return stream.nextDouble() * departure.within
  }

  public func validate() throws(SimulationError) {
    try speed.validate("devices.speed")
    try memory?.validate("devices.memory")
    if !(0...1).contains(dropoutProbability) {
      throw .invalidParameter(field: "devices.dropout", value: "\(dropoutProbability)", expected: "a probability in [0, 1]")
    }
    if let departure, !((0...1).contains(departure.fraction) && departure.within > 0 && departure.within.isFinite) {
      throw .invalidParameter(
        field: "devices.departure", value: "\(departure.fraction), \(departure.within)",
        expected: "a fraction in [0, 1] and a positive finite time")
    }
    if case .bernoulli(let p) = availability, !(p > 0 && p <= 1) {
      throw .invalidParameter(field: "devices.availability", value: "\(p)", expected: "a probability in (0, 1]")
    }
    if case .intervals(let lists) = availability, lists.isEmpty || lists.contains(where: { $0.contains { !($0.end > $0.start) } }) {
      throw .invalidParameter(
        field: "devices.availability", value: "intervals", expected: "non-empty lists of [start, end) with end > start")
    }
  }

  /// The device of `client` (deterministic in the seed; computed on demand, nothing stored).
  public func profile(client: Int, seed: UInt64) -> DeviceProfile {
    var stream = RandomStream(seed: seed, purpose: .device, client: UInt32(truncatingIfNeeded: client))
    let flops = speed.sample(index: client, stream: &stream)
    let memoryBytes = memory?.sample(index: client, stream: &stream)
    return DeviceProfile(flopsPerSecond: flops, memoryBytes: memoryBytes)
  }

  /// Whether `client` is online for `round` at `time`.
  public func isAvailable(client: Int, round: Int, time: SimulatedTime, seed: UInt64) -> Bool {
    if let gone = departureTime(client: client, seed: seed), time >= gone { return false }
    switch availability {
    case .always: return true
    case .bernoulli(let p):
      var stream = RandomStream(
        seed: seed, purpose: .availability, client: UInt32(truncatingIfNeeded: client),
        round: UInt32(truncatingIfNeeded: round))
      return stream.nextDouble() < p
    case .intervals(let lists):
      return lists[client % lists.count].contains { $0.start <= time && time < $0.end }
    }
  }

  /// When `client`, online at `time`, goes offline (infinity unless availability follows a trace
  /// of intervals). A client whose work outlasts its interval never reports.
  public func onlineUntil(client: Int, time: SimulatedTime, seed: UInt64 = 0) -> SimulatedTime {
    let gone = departureTime(client: client, seed: seed) ?? .infinity
    guard case .intervals(let lists) = availability else { return gone }
    return min(gone, lists[client % lists.count].first { $0.start <= time && time < $0.end }?.end ?? time)
  }

  /// Whether `client` crashes during its participation in `round` (or its `round`-th dispatch).
  public func crashes(client: Int, round: Int, seed: UInt64) -> Bool {
    guard dropoutProbability > 0 else { return false }
    var stream = RandomStream(
      seed: seed, purpose: .crash, client: UInt32(truncatingIfNeeded: client),
      round: UInt32(truncatingIfNeeded: round))
    return stream.nextDouble() < dropoutProbability
  }
}

extension StreamPurpose {
  static let device = StreamPurpose("device")
  static let availability = StreamPurpose("availability")
  static let crash = StreamPurpose("crash")
  static let link = StreamPurpose("link")
  static let messageLoss = StreamPurpose("message-loss")
}
