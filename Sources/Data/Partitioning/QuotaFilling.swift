import Randomness

/// Per-domain pools of shuffled document indices that clients draw from without replacement —
/// the shared machinery of the partitioners that give each client a domain mix and a quota.
struct DomainPools {
  private var pools: [[Int]]
  private var cursors: [Int]

  /// Shuffles each domain's documents.
  init(domains: [Int], domainCount: Int, using random: inout RandomStream) {
    pools = groupByDomain(domains, domainCount: domainCount)
    for d in pools.indices { shuffle(&pools[d], using: &random) }
    cursors = [Int](repeating: 0, count: domainCount)
  }

  /// Documents not yet taken, per domain.
  var remaining: [Int] { pools.indices.map { pools[$0].count - cursors[$0] } }

  /// The sizes of the domains.
  var sizes: [Int] { pools.map(\.count) }

  /// Takes `count` documents of domain `d` (at most what remains).
  mutating func take(_ count: Int, from d: Int) -> ArraySlice<Int> {
    let start = cursors[d]
    let end = min(start + count, pools[d].count)
    cursors[d] = end
    return pools[d][start..<end]
  }

  /// Takes `quota` documents in proportions `weights` (largest-remainder rounding). When a
  /// domain runs out, the shortfall is spread over the domains that still have documents, in
  /// proportion to their weights (or, if those are all zero, to what they hold), until the
  /// quota is met or nothing is left.
  mutating func fill(quota: Int, weights: [Double]) -> [Int] {
    var taken: [Int] = []
    var missing = quota
    var active = weights
    while missing > 0 {
      let left = remaining
      for d in active.indices where left[d] == 0 { active[d] = 0 }
      if active.allSatisfy({ $0 == 0 }) { active = left.map(Double.init) }
      if active.allSatisfy({ $0 == 0 }) { break }
      let before = taken.count
      for (d, count) in apportion(missing, weights: active).enumerated() where count > 0 {
        taken += take(count, from: d)
      }
      missing = quota - taken.count
      if taken.count == before { break }
    }
    return taken
  }
}
