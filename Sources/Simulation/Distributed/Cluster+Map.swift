import StateArchive

extension Cluster {
  /// A batch of jobs shared by the ranks: each rank computes the inputs whose client it owns (on
  /// its worker pool) and archives their outputs; after one exchange every rank has every
  /// output, in input order — its own as computed, the others' as `read` rebuilds them. One
  /// process computes everything and archives nothing.
  public func map<Input: Sendable, Output: Sendable>(
    _ inputs: [Input], client: (Input) -> ClientID, pool: WorkerPool, compute: @Sendable (Input, _ worker: Int) -> Output,
    write: (Input, Output, inout ArchiveWriter) -> Void,
    read: (Input, inout ArchiveReader) throws(ArchiveError) -> Output
  ) throws(SimulationError) -> [Output] {
    guard size > 1 else { return pool.map(inputs, compute) }
    let mine = inputs.filter { owns(client($0)) }
    let computed = pool.map(mine, compute)
    var writer = ArchiveWriter()
    for (input, output) in zip(mine, computed) { write(input, output, &writer) }
    let gathered: [[UInt8]]
    do { gathered = try exchange(writer.bytes) } catch { throw .cluster("\(error)") }
    var readers = gathered.map { ArchiveReader($0) }
    var outputs: [Output] = []
    outputs.reserveCapacity(inputs.count)
    var next = computed.makeIterator()
    for input in inputs {
      let owner = owner(of: client(input))
      if owner == rank, let output = next.next() {
        outputs.append(output)
        continue
      }
      do { outputs.append(try read(input, &readers[owner])) } catch {
        throw .cluster("the result for client \(client(input)) from rank \(owner) does not decode: \(error)")
      }
    }
    return outputs
  }
}
