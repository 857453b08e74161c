/** Entry of the `youtube-connect.js` bundle: what "Connect YouTube Account" needs from the YouTube flow's code. */
export { connectYouTube, readClientSecretFile } from '../flows/youtube/oauth';
export { YouTubeError } from '../flows/youtube/errors';
