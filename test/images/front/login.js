// Signs in as the real front does: POST globalThis.API_URL + "/graphql", mutation loginUser.
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const query = "mutation login($input: LoginUserInput!) { loginUser(input: $input) " +
    "{ token user { id email organizations { id name } } } }";
  const out = document.getElementById("result");
  try {
    const response = await fetch(`${globalThis.API_URL}/graphql`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        query,
        variables: { input: { email: form.get("email"), password: form.get("password") } },
      }),
    });
    const reply = await response.json();
    const user = reply.data && reply.data.loginUser && reply.data.loginUser.user;
    out.textContent = user
      ? `Signed in as ${user.email}, organization ${user.organizations.map((o) => o.name).join(", ")}`
      : `Refused: ${JSON.stringify(reply.errors)}`;
  } catch (error) {
    out.textContent = `No answer from ${globalThis.API_URL}/graphql: ${error}`;
  }
});
