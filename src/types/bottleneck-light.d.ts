// bottleneck ships types for its main entry only; the light build (the one Octokit's plugins use,
// without the Redis clustering code) has the same API.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck'
  export default Bottleneck
}
