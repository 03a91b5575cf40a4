/// The sign-in form: a local account's name and password, the page to go back to, and the
/// form's anti-forgery token.
public enum SignInPage {
    public static func render(next: String, csrf: String, problem: String? = nil, name: String = "") -> String {
        var h = "<h1>Sign in</h1>"
        if let problem { h += "<p class=\"error\">\(HTML.esc(problem))</p>" }
        h += """
            <form class="entry" method="post" action="/sign-in">
            <input type="hidden" name="csrf" value="\(HTML.esc(csrf))"><input type="hidden" name="next" value="\(HTML.esc(next))">
            <p><label>User <input name="name" autocomplete="username" required value="\(HTML.esc(name))"></label></p>
            <p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
            <p><button type="submit">Sign in</button></p></form>
            """
        return HTML.page(title: "Sign in", body: h, navigation: false)
    }
}
