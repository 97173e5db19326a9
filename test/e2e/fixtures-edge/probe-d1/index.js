// Reads a table that only exists once the migrations are applied: until then the Worker throws.
export default {
  async fetch(_request, env) {
    const { results } = await env.DB.prepare("SELECT name FROM items").all();
    return Response.json(results);
  },
};
