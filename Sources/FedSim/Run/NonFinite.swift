import Aggregation
import Foundation
import StateArchive

/// A NaN or ±∞ found during a run: where it appeared and in which tensor.
public struct NonFiniteFinding: Sendable, Equatable, CustomStringConvertible {
  public enum Site: String, Sendable, Equatable {
    /// A client's training loss.
    case loss
    /// A client's values after local training (and privatisation), before anything is sent.
    case update
    /// What an aggregator produced: the server's model, or a client's mix of its neighbours.
    case aggregate
  }

  public let round: Int
  /// The client that trained or combined; nil for the server's aggregate.
  public let client: Int?
  public let site: Site
  /// The first tensor holding a non-finite value (the metric's name for a loss).
  public let tensor: String

  public var description: String {
    // Rounds count from 1 in messages, as in the progress line (metrics.jsonl counts from 0).
    let at = "round \(round + 1), " + (client.map { "client \($0)" } ?? "the server")
    switch site {
    case .loss: return "\(at): non-finite training loss (\(tensor))"
    case .update: return "\(at): non-finite update in tensor \(tensor)"
    case .aggregate: return "\(at): the aggregator produced non-finite values in tensor \(tensor)"
    }
  }
}

/// The name of the first tensor of `spans` holding a NaN or ±∞ in `values` (nil when all are
/// finite). Values outside every span are reported as "values".
func firstNonFiniteTensor(_ values: [Float], tensors spans: [TensorSpan]) -> String? {
  guard let bad = values.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) else { return nil }
  return spans.first { bad >= $0.offset && bad < $0.offset + $0.rows * $0.columns }?.name ?? "values"
}

/// Findings recorded by worker jobs and the simulator thread, handed to the run's metrics in an
/// order that does not depend on scheduling: a client's finding when the simulator processes that
/// client's result, aggregate findings with their round.
final class FindingStore: @unchecked Sendable {
  // @unchecked Sendable: every access goes through `lock`.
  private let lock = NSLock()
  private var work: [WorkKey: NonFiniteFinding] = [:]
  private var aggregates: [Int: [NonFiniteFinding]] = [:]

  struct WorkKey: Hashable {
    let client: Int
    let round: Int
  }

  func record(_ finding: NonFiniteFinding) {
    lock.lock()
    defer { lock.unlock() }
    if finding.site == .aggregate {
      aggregates[finding.round, default: []].append(finding)
    } else if let client = finding.client {
      work[WorkKey(client: client, round: finding.round)] = finding
    }
  }

  /// The finding of `client`'s work of `round`, left in the store.
  func work(client: Int, round: Int) -> NonFiniteFinding? {
    lock.lock()
    defer { lock.unlock() }
    return work[WorkKey(client: client, round: round)]
  }

  /// The finding of the aggregate `client` mixed in `round`, left in the store.
  func aggregate(round: Int, client: Int) -> NonFiniteFinding? {
    lock.lock()
    defer { lock.unlock() }
    return aggregates[round]?.first { $0.client == client }
  }

  /// The finding that made `client`'s work of `round` rejected.
  func takeWork(client: Int, round: Int) -> NonFiniteFinding? {
    lock.lock()
    defer { lock.unlock() }
    return work.removeValue(forKey: WorkKey(client: client, round: round))
  }

  /// The aggregate findings of `round`, the server's first, then by client.
  func takeAggregates(round: Int) -> [NonFiniteFinding] {
    lock.lock()
    defer { lock.unlock() }
    return (aggregates.removeValue(forKey: round) ?? []).sorted { ($0.client ?? -1) < ($1.client ?? -1) }
  }
}

extension NonFiniteFinding: Archivable {
  public func archive(to writer: inout ArchiveWriter) {
    writer.write(round)
    writer.write(client)
    writer.write(site.rawValue)
    writer.write(tensor)
  }

  public init(from reader: inout ArchiveReader) throws(ArchiveError) {
    let round = try reader.readInt()
    let client = try reader.readOptionalInt()
    let start = reader.offset
    let name = try reader.readString()
    guard let site = Site(rawValue: name) else { throw .invalid(what: "non-finite site", value: name, offset: start) }
    self.init(round: round, client: client, site: site, tensor: try reader.readString())
  }
}

extension FindingStore {
  /// Findings not yet written to the metrics (their round's summary is still to come).
  func archive(to writer: inout ArchiveWriter) {
    lock.lock()
    defer { lock.unlock() }
    writer.section("findings")
    writer.write(work.keys.sorted { ($0.client, $0.round) < ($1.client, $1.round) }.map { work[$0]! })
    writer.write(aggregates.keys.sorted().flatMap { aggregates[$0]! })
  }

  func restore(from reader: inout ArchiveReader) throws(ArchiveError) {
    try reader.section("findings")
    let work: [NonFiniteFinding] = try reader.readArray()
    let aggregates: [NonFiniteFinding] = try reader.readArray()
    for finding in work + aggregates { record(finding) }
  }
}
