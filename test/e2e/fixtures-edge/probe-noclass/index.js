export default { fetch: () => new Response("no class") };
