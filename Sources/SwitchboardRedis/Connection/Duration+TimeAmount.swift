import NIOCore

extension Duration {
    var timeAmount: TimeAmount { TimeAmount(self) }
}
