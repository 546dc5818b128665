/// An assignment of documents to clients: for each client, the indices of its documents in
/// increasing order. Every document is assigned at most once; `unassigned` lists the rest.
public struct Partition: Sendable, Equatable {
  /// Document indices per client, each list sorted.
  public let clients: [[Int]]
  /// The number of documents partitioned (indices are in 0..<documentCount).
  public let documentCount: Int

  /// - Throws: `.invalidParameter` for an index out of range or assigned twice.
  public init(clients: [[Int]], documentCount: Int) throws(DataError) {
    var owner = [Int](repeating: -1, count: documentCount)
    for (c, indices) in clients.enumerated() {
      for index in indices {
        try DataError.require(
          index >= 0 && index < documentCount, "partition", "clients[\(c)] index", index,
          expected: "a document index in 0..<\(documentCount)")
        try DataError.require(
          owner[index] < 0, "partition", "clients[\(c)] index", index,
          expected: "a document not already assigned (to client \(owner[index]))")
        owner[index] = c
      }
    }
    self.clients = clients.map { $0.sorted() }
    self.documentCount = documentCount
  }

  public var clientCount: Int { clients.count }

  /// The number of documents of each client.
  public var sizes: [Int] { clients.map(\.count) }

  /// The documents no client received, in increasing order.
  public var unassigned: [Int] {
    var used = [Bool](repeating: false, count: documentCount)
    for indices in clients { for index in indices { used[index] = true } }
    return used.indices.filter { !used[$0] }
  }

  /// Whether every document went to some client.
  public var assignsEveryDocument: Bool { sizes.reduce(0, +) == documentCount }

  /// This partition with indices mapped through `indices` (local index i becomes indices[i]), for
  /// a partition computed over a subset of a larger corpus.
  func mapped(through indices: [Int], documentCount: Int) throws(DataError) -> Partition {
    try Partition(clients: clients.map { $0.map { indices[$0] } }, documentCount: documentCount)
  }
}
