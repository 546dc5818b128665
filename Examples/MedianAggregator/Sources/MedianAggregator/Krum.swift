import Aggregation

/// Krum (Blanchard, El Mhamdi, Guerraoui & Stainer, "Machine learning with adversaries:
/// Byzantine tolerant gradient descent", NeurIPS 2017): with n replies of which at most f are
/// Byzantine, score each reply by the sum of squared distances to its n − f − 2 nearest others
/// and keep the one with the lowest score (`multi` > 1: average the `multi` best, Multi-Krum).
struct Krum: Aggregator {
  static let name = "krum"

  let f: Int
  let multi: Int

  init(options: AggregatorOptions) throws(AggregatorError) {
    f = try options.requiredInt("f", in: 0...10_000)
    multi = try options.int("multi", default: 1, in: 1...10_000)
  }

  var communication: Communication { .server }

  /// Krum needs n ≥ 2f + 3 replies: a round that can never hold them is refused before the run,
  /// at `aggregator.options.f` in the scenario.
  func validate(_ setup: AggregationSetup) throws(AggregatorError) {
    guard let n = setup.largestAggregation, n < 2 * f + 3 else { return }
    throw AggregatorError(
      aggregator: Self.name, option: "f", value: "\(f)",
      expected: n >= 3
        ? "at most \((n - 3) / 2): Krum needs n ≥ 2f + 3 replies and a round holds at most \(n)" : "a round of at least 3 replies")
  }

  mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
    let replies = contributions.sorted { $0.client < $1.client }
    // A round cut short by dropouts can hold fewer than 2f + 3 replies: the server keeps its model.
    guard replies.count >= 2 * f + 3 else {
      context.warn("\(replies.count) replies, fewer than 2f + 3 = \(2 * f + 3): the server keeps its model")
      return
    }
    let n = replies.count
    var distance = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for a in 0..<n {
      for b in (a + 1)..<n {
        var sum = 0.0
        for i in 0..<global.count {
          let d = Double(replies[a].values[i]) - Double(replies[b].values[i])
          sum += d * d
        }
        distance[a][b] = sum
        distance[b][a] = sum
      }
    }
    let neighbours = n - f - 2
    let scores = (0..<n).map { a in
      (0..<n).filter { $0 != a }.map { distance[a][$0] }.sorted().prefix(neighbours).reduce(0, +)
    }
    // Lowest scores first; ties to the smaller client id.
    let chosen = (0..<n).sorted { (scores[$0], $0) < (scores[$1], $1) }.prefix(min(multi, n))
    // In metrics.jsonl as aggregator.selected_client (the best-scored reply's client).
    context.record("selected_client", Double(replies[chosen.first!].client))
    global = weightedCombination(
      own: [Float](repeating: 0, count: global.count), selfWeight: 0,
      neighbours: chosen.map { (contribution: replies[$0], weight: 1 / Double(chosen.count)) })
  }
}
