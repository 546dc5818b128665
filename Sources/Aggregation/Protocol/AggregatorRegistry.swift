import Foundation

/// Maps scenario names to aggregator types. Built-ins are registered at start; a user's package
/// registers its own with one line before running a scenario that names it.
public final class AggregatorRegistry: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  public static let shared = AggregatorRegistry(builtIns: [
    FedAvg.self, LocalOnly.self, Gossip.self, TrustWeighted.self, Decor.self, LocalDPGossip.self, CentralDP.self, CoMiGS.self,
  ])

  private let lock = NSLock()
  private var types: [String: any Aggregator.Type] = [:]

  public init(builtIns: [any Aggregator.Type] = []) {
    for type in builtIns { types[type.name] = type }
  }

  /// Registers (or replaces) an aggregator under its name.
  public func register(_ type: any Aggregator.Type) {
    lock.lock()
    defer { lock.unlock() }
    types[type.name] = type
  }

  /// Registered names, sorted.
  public var names: [String] {
    lock.lock()
    defer { lock.unlock() }
    return types.keys.sorted()
  }

  /// Builds the named aggregator with its options.
  public func make(_ name: String, options: [String: String] = [:]) throws(AggregatorError) -> any Aggregator {
    lock.lock()
    let type = types[name]
    lock.unlock()
    guard let type else {
      throw AggregatorError(aggregator: name, option: "", value: name, expected: "one of \(names.joined(separator: ", "))")
    }
    let reader = AggregatorOptions(aggregator: name, values: options)
    let aggregator = try type.init(options: reader)
    try reader.rejectUnknown()
    return aggregator
  }
}
