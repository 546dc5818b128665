import StateArchive

extension ServerSimulation where Task: DistributedTask, Task.PersistentState == Task.ClientState {
  /// Shards the local work over `cluster`: every rank runs this same simulation, each batch of
  /// local work runs on the ranks that own its clients, and the reports are exchanged so that
  /// every rank applies all of them in the single-process order. Call before `run()`, with the
  /// same scenario and seed on every rank. A cluster of one rank changes nothing.
  public func distribute(over cluster: any Cluster) {
    guard cluster.size > 1 else {
      distributedBatch = nil
      return
    }
    let task = self.task, pool = self.pool
    distributedBatch = { jobs throws(SimulationError) -> [Output] in
      let mine = jobs.filter { cluster.owns($0.client) }
      let computed = Self.runLocally(mine, task: task, pool: pool)
      var writer = ArchiveWriter()
      for (job, output) in zip(mine, computed) {
        output.report.archive(to: &writer, task: task)
        task.archiveNotes(client: job.client, round: job.key, to: &writer)
      }
      let gathered: [[UInt8]]
      do {
        gathered = try cluster.exchange(writer.bytes)
      } catch {
        throw .cluster("\(error)")
      }
      guard gathered.count == cluster.size else {
        throw .cluster("the exchange returned \(gathered.count) parts for \(cluster.size) ranks")
      }
      var readers = gathered.map { ArchiveReader($0) }
      var outputs: [Output] = []
      outputs.reserveCapacity(jobs.count)
      var next = computed.makeIterator()
      for job in jobs {
        let owner = cluster.owner(of: job.client)
        if owner == cluster.rank, let output = next.next() {
          outputs.append(output)
          continue
        }
        do {
          let report = try LocalReport(from: &readers[owner], task: task)
          try task.readNotes(client: job.client, round: job.key, from: &readers[owner])
          outputs.append((job.state, report))
        } catch {
          throw .cluster("the report of client \(job.client), round \(job.key) from rank \(owner) does not decode: \(error)")
        }
      }
      return outputs
    }
  }
}
