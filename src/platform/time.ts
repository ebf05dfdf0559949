/** Now, in the epoch seconds that JWT claims, cookies and the D1 records use. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);
