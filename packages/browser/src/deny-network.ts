/**
 * wasi:sockets for a guest in a page: every way out is refused, with the errors wacs gives under
 * Node (`access-denied`, `permanent-resolver-failure`). preview2-shim's browser sockets are
 * placeholders that return nothing, which a guest would misread; these refuse.
 */
const denied = (): never => {
  throw 'access-denied';
};

class Network {}

class TcpSocket {
  startBind = denied;
  startConnect = denied;
  startListen = denied;
  accept = denied;
  finishBind = denied;
  finishConnect = denied;
  finishListen = denied;
}

class UdpSocket {
  startBind = denied;
  finishBind = denied;
  stream = denied;
}

class ResolveAddressStream {}
class IncomingDatagramStream {}
class OutgoingDatagramStream {}

export const sockets = {
  instanceNetwork: { instanceNetwork: () => new Network() },
  network: { Network },
  tcpCreateSocket: { createTcpSocket: () => new TcpSocket() },
  tcp: { TcpSocket },
  udpCreateSocket: { createUdpSocket: () => new UdpSocket() },
  udp: { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
  ipNameLookup: {
    ResolveAddressStream,
    resolveAddresses: (): never => {
      throw 'permanent-resolver-failure';
    },
  },
};
