import Foundation
import Graphs
import Randomness

/// Builds the scenario's communication graph (a fixed graph, or one per round).
enum TopologyBuilder {
  /// Graphs with more edges are refused before they are built: a complete graph on 100,000
  /// clients (5·10⁹ edges) would otherwise ask for 80 GB at once.
  static let maximumEdges = 20_000_000

  /// The number of edges a topology has (its expectation for erdos-renyi), computed without
  /// overflow; nil for an edge list, which is as large as its file.
  static func edgeCount(_ section: TopologySection, clients: Int) -> Double? {
    let n = Double(clients), p = section.parameters
    switch section.kind {
    case "complete": return n * (n - 1) / 2
    case "erdos-renyi": return (p["p"] ?? 0.2) * n * (n - 1) / 2
    case "random-regular", "watts-strogatz": return n * (p["k"] ?? 4) / 2
    case "barabasi-albert": return n * (p["m"] ?? 2)
    case "grid", "torus": return 2 * n
    case "edges": return nil
    default: return n
    }
  }

  static func graph(_ section: TopologySection, clients: Int, seed: UInt64, round: Int = 0) throws(RunError) -> Graph {
    if let edges = edgeCount(section, clients: clients), edges > Double(maximumEdges) {
      throw .data(
        "topology \(section.kind) on \(clients) clients has \(String(format: "%.3g", edges)) edges, expected at most \(maximumEdges) (a graph that fits in memory: use a sparser kind, a smaller k, m or p, or fewer clients)"
      )
    }
    var stream = RandomStream(seed: seed, purpose: .graph, round: UInt32(section.resampleEveryRound ? round : 0))
    let p = section.parameters
    do {
      switch section.kind {
      case "complete": return try .complete(n: clients)
      case "ring": return try .ring(n: clients)
      case "path": return try .path(n: clients)
      case "grid": return try .grid(rows: Int(p["rows"] ?? 1), columns: Int(p["columns"] ?? Double(clients)))
      case "torus": return try .torus(rows: Int(p["rows"] ?? 1), columns: Int(p["columns"] ?? Double(clients)))
      case "random-regular":
        return try .randomRegular(n: clients, k: Int(p["k"] ?? 4), requireConnected: section.requireConnected, using: &stream)
      case "erdos-renyi":
        return try .erdosRenyi(n: clients, p: p["p"] ?? 0.2, requireConnected: section.requireConnected, using: &stream)
      case "watts-strogatz":
        return try .wattsStrogatz(
          n: clients, k: Int(p["k"] ?? 4), beta: p["beta"] ?? 0.1, requireConnected: section.requireConnected, using: &stream)
      case "barabasi-albert": return try .barabasiAlbert(n: clients, m: Int(p["m"] ?? 2), using: &stream)
      case "one-peer-exponential": return try .onePeerExponential(n: clients, round: round)
      case "edges":
        do {
          return try EdgeList.read(path: section.edgesFile ?? "", nodeCount: clients, requireConnected: section.requireConnected)
        } catch { throw RunError.data(error.description) }
      default: return try .star(n: clients)
      }
    } catch let error as RunError {
      throw error
    } catch {
      throw .data("topology \(section.kind): \(error)")
    }
  }

  static func mixing(_ name: String) -> MixingRule { MixingRule(rawValue: name) ?? .metropolisHastings }

  /// Whether the graph changes between rounds.
  static func varies(_ section: TopologySection) -> Bool { section.kind == "one-peer-exponential" || section.resampleEveryRound }
}
