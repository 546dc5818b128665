import Aggregation

/// Coordinate-wise median of the clients' adapters (Yin et al. 2018): robust to a minority of
/// arbitrarily bad updates, at the price of ignoring sample counts. Option `trim` (0 … 0.49)
/// switches to the coordinate-wise trimmed mean that drops that fraction at each end.
struct CoordinateMedian: Aggregator {
  static let name = "median"

  let trim: Double

  init(options: AggregatorOptions) throws(AggregatorError) {
    trim = try options.double("trim", default: 0.5, in: 0...0.5)
  }

  var communication: Communication { .server }

  mutating func aggregate(_ contributions: [Contribution], global: inout [Float], context: AggregationContext) {
    guard !contributions.isEmpty else { return }
    let ordered = contributions.sorted { $0.client < $1.client }
    var column = [Float](repeating: 0, count: ordered.count)
    for i in 0..<global.count {
      for (k, contribution) in ordered.enumerated() { column[k] = contribution.values[i] }
      column.sort()
      let n = column.count
      if trim >= 0.5 {
        global[i] = n % 2 == 1 ? column[n / 2] : (column[n / 2 - 1] + column[n / 2]) / 2
      } else {
        let cut = Int(Double(n) * trim)
        let kept = column[cut..<(n - cut)]
        global[i] = kept.reduce(0, +) / Float(kept.count)
      }
    }
  }
}
