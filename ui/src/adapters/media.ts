// The agent's WebRTC audio session, as docs/softphone-protocol.md describes it: one sendrecv
// audio transceiver; the complete offer (ICE candidates gathered, no trickle) goes out as
// `media_offer`; `media_answer` is applied as it comes. It stays up between calls. DTMF goes as
// RFC 4733 events through RTCDTMFSender; mute disables the microphone track.
import type { Input } from '../state/types';

export interface MediaSession {
  start(): void;
  applyAnswer(sdp: string): void;
  stop(): void;
  setMuted(on: boolean): void;
  sendDtmf(tones: string): void;
}

const gatherTimeoutMs = 2_000;

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pc.removeEventListener('icegatheringstatechange', check);
      clearTimeout(timer);
      resolve();
    };
    const check = () => { if (pc.iceGatheringState === 'complete') done(); };
    // Host candidates come at once; a slow interface must not hold the login up.
    const timer = setTimeout(done, gatherTimeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

export function createMediaSession(dispatch: (input: Input) => void): MediaSession {
  let microphone: MediaStream | null = null;
  let pc: RTCPeerConnection | null = null;
  let sender: RTCRtpSender | null = null;
  let muted = false;
  const speaker = new Audio();
  speaker.autoplay = true;

  const problem = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

  const stop = () => {
    pc?.close();
    pc = null;
    sender = null;
    speaker.srcObject = null;
  };

  return {
    start() {
      stop();
      const connection = new RTCPeerConnection();
      pc = connection;
      void (async () => {
        try {
          microphone ??= await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
          const track = microphone.getAudioTracks()[0];
          if (!track) throw new Error('no microphone track');
          track.enabled = !muted;
          if (pc !== connection) return;
          const transceiver = connection.addTransceiver(track, { direction: 'sendrecv', streams: [microphone] });
          sender = transceiver.sender;
          connection.onconnectionstatechange = () => {
            // Shown at once; the server's `media` `connected: false` then restarts the session.
            if (pc === connection && connection.connectionState === 'failed') {
              dispatch({ kind: 'media_failed', problem: 'the audio connection failed' });
            }
          };
          connection.ontrack = (event) => {
            speaker.srcObject = event.streams[0] ?? new MediaStream([event.track]);
          };
          await connection.setLocalDescription(await connection.createOffer());
          await gathered(connection);
          const sdp = connection.localDescription?.sdp;
          if (pc !== connection || !sdp) return;
          dispatch({ kind: 'media_offer_ready', sdp });
        } catch (error) {
          if (pc === connection) dispatch({ kind: 'media_failed', problem: problem(error) });
        }
      })();
    },
    applyAnswer(sdp) {
      const connection = pc;
      if (!connection) return;
      connection.setRemoteDescription({ type: 'answer', sdp }).catch((error: unknown) => {
        if (pc === connection) dispatch({ kind: 'media_failed', problem: problem(error) });
      });
    },
    stop,
    setMuted(on) {
      muted = on;
      for (const track of microphone?.getAudioTracks() ?? []) track.enabled = !on;
    },
    sendDtmf(tones) {
      const dtmf = sender?.dtmf;
      if (dtmf?.canInsertDTMF) dtmf.insertDTMF(tones, 120, 70);
    },
  };
}
