/// A graph encodes as its node count and edge list, `{"nodeCount": 4, "edges": [[0, 1], [1, 2]]}`,
/// and decoding validates like `init(nodeCount:edges:)`, so a checkpoint cannot smuggle in a
/// self-loop or a duplicate edge.
extension Graph: Codable {
  private enum CodingKeys: String, CodingKey { case nodeCount, edges }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(nodeCount, forKey: .nodeCount)
    try container.encode(edges.map { [$0.i, $0.j] }, forKey: .edges)
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let nodeCount = try container.decode(Int.self, forKey: .nodeCount)
    let pairs = try container.decode([[Int]].self, forKey: .edges)
    var edges: [(Int, Int)] = []
    edges.reserveCapacity(pairs.count)
    for (index, pair) in pairs.enumerated() {
      guard pair.count == 2 else {
        throw DecodingError.dataCorruptedError(
          forKey: .edges, in: container,
          debugDescription: "edge #\(index) has \(pair.count) node ids, expected 2")
      }
      edges.append((pair[0], pair[1]))
    }
    do {
      try self.init(nodeCount: nodeCount, edges: edges)
    } catch {
      throw DecodingError.dataCorruptedError(
        forKey: .edges, in: container, debugDescription: error.description)
    }
  }
}
