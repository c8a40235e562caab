// reel's remote backend: reaching a reel server over HTTP (issue 7). Filled in by the
// remote-backend work; this file keeps the layer's library non-empty until then.
namespace reel::remote {}
